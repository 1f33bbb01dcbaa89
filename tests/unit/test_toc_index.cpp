// Layers indexed from their table of contents (zstd:chunked, eStargz): a TOC built by the
// fixture writer gives the members and contents a pass over the same tar gives, found from the
// annotation or the footer alone; each class of hostile TOC is refused with one warning naming the
// layer and the reason (the caller then makes a pass); a chunk whose bytes changed fails its digest
// on read (EIO), never gives other bytes.
#include <catch2/catch.hpp>

#include "index/layer/member_data.h"
#include "index/layer/tar_indexer.h"
#include "index/layer/toc_index.h"
#include "layers/base/error.h"
#include "layers/source/basic_sources.h"
#include "layers/toc/toc_entries.h"
#include "tests/support/codec.h"
#include "tests/support/scenarios.h"
#include "tests/support/toc_blob.h"

namespace imgmount {
namespace {

using fixture::TarEntry;
using fixture::TarType;

std::vector<TarEntry> SampleEntries() {
  std::vector<TarEntry> entries;
  entries.push_back(fixture::DirEntry("etc/"));
  entries.back().mtime = 1700000000;
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i * 7919 % 10007) + "\n";
  TarEntry file = fixture::FileEntry("etc/big.txt", big, 0640);
  file.uid = 1000;
  file.gid = 100;
  file.mtime = 1700000001;
  file.mtime_nsec = 123456789;
  entries.push_back(file);
  TarEntry small = fixture::FileEntry("etc/small", "small\n", 04755);
  small.xattrs = {{"user.note", std::string("a\0b", 3)}};
  entries.push_back(small);
  entries.push_back(fixture::FileEntry("etc/empty", ""));
  entries.push_back(fixture::SymlinkEntry("etc/link", "small"));
  entries.push_back(fixture::HardlinkEntry("etc/hard", small));
  entries.push_back(fixture::DeviceEntry("dev/null", TarType::kCharDevice, 1, 3, 0666));
  entries.push_back(fixture::WhiteoutEntry("etc/gone"));
  return entries;
}

struct Built {
  fixture::ChunkedBlob chunked;
  LayerBlob blob;
};

Built Make(const std::function<void(std::string&)>& edit = {}, bool annotate = true,
           size_t chunk = 16384) {
  Built b;
  b.chunked = fixture::MakeZstdChunked(SampleEntries(), chunk, edit);
  b.blob.blob = std::make_shared<MemorySource>(b.chunked.blob, "layer.zst");
  b.blob.media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
  if (annotate) {
    b.blob.annotations = {
        {"io.github.containers.zstd-chunked.manifest-position", b.chunked.position},
        {"io.github.containers.zstd-chunked.manifest-checksum", b.chunked.toc_digest}};
  }
  return b;
}

struct Outcome {
  std::shared_ptr<LayerIndex> index;
  std::vector<std::string> warnings;
};

Outcome FromToc(const LayerBlob& blob) {
  Outcome out;
  out.index = IndexLayerFromToc(blob, "layer 1", DecodeOptions{},
                                [&](const std::string& w) { out.warnings.push_back(w); });
  return out;
}

std::string Contents(const LayerIndex& index, uint32_t i) {
  TarMember m = index.member(i);
  std::string out(m.size, '\0');
  size_t got = ReadMemberData(index, m, 0, std::as_writable_bytes(std::span(out)));
  out.resize(got);
  return out;
}

void Replace(std::string& text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

// The TOC is refused: no index, one warning naming the layer and containing `reason`.
void RequireRefused(const LayerBlob& blob, const std::string& reason) {
  Outcome out = FromToc(blob);
  CHECK(out.index == nullptr);
  REQUIRE(out.warnings.size() == 1);
  CHECK_THAT(out.warnings[0], Catch::Contains("layer 1") && Catch::Contains(reason) &&
                                  Catch::Contains("indexing with a pass"));
}

// The TOC-built index of `blob` has the members and contents a pass over it finds.
void RequireSameAsPass(const LayerBlob& blob) {
  {
    Outcome out = FromToc(blob);
    REQUIRE(out.warnings.empty());
    REQUIRE(out.index != nullptr);
    auto pass = IndexLayer(blob, "layer 1", DecodeOptions{}, {});
    REQUIRE(out.index->size() == pass->size());
    for (uint32_t i = 0; i < pass->size(); ++i) {
      TarMember t = out.index->member(i);
      TarMember p = pass->member(i);
      INFO(p.path);
      CHECK(t.path == p.path);
      CHECK(t.type == p.type);
      CHECK(t.mode == p.mode);
      CHECK(t.uid == p.uid);
      CHECK(t.gid == p.gid);
      CHECK(t.mtime_sec == p.mtime_sec);
      CHECK(t.mtime_nsec == p.mtime_nsec);
      CHECK(t.size == p.size);
      CHECK(t.link_target == p.link_target);
      CHECK(t.dev_major == p.dev_major);
      CHECK(t.dev_minor == p.dev_minor);
      CHECK(t.xattrs == p.xattrs);
      if (t.type == MemberType::kRegular) CHECK(Contents(*out.index, i) == Contents(*pass, i));
    }
    // No pass ran: nothing vouches for the blob or the diff_id.
    CHECK(out.index->digests().blob.empty());
    CHECK(out.index->digests().stream.empty());
    CHECK(out.index->stream_index().spans.size() > 3);
  }
}

}  // namespace

TEST_CASE("a zstd:chunked TOC gives the members and contents a pass gives", "[toc]") {
  for (bool annotate : {true, false}) RequireSameAsPass(Make({}, annotate).blob);
}

TEST_CASE("a blob without a TOC is left to the pass silently", "[toc]") {
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(fixture::ZstdCompress(std::string(4096, 'x')), "z");
  Outcome out = FromToc(blob);
  CHECK(out.index == nullptr);
  CHECK(out.warnings.empty());
}

TEST_CASE("the older annotation keys of skopeo 1.9 are accepted", "[toc]") {
  Built b = Make();
  b.blob.annotations = {{"io.containers.zstd-chunked.manifest-position", b.chunked.position},
                        {"io.containers.zstd-chunked.manifest-checksum", b.chunked.toc_digest}};
  Outcome out = FromToc(b.blob);
  CHECK(out.warnings.empty());
  CHECK(out.index != nullptr);
}

TEST_CASE("hostile TOCs are refused and left to the pass", "[toc]") {
  SECTION("a TOC whose digest is not the annotation's") {
    Built b = Make();
    b.blob.annotations[1].second = fixture::Sha256Digest("other");
    RequireRefused(b.blob, "digest mismatch");
  }
  SECTION("a malformed position annotation") {
    Built b = Make();
    b.blob.annotations[0].second = "12:x:3:1";
    RequireRefused(b.blob, "manifest-position");
  }
  SECTION("a position outside the blob") {
    Built b = Make();
    b.blob.annotations[0].second = "99999999:10:10:1";
    RequireRefused(b.blob, "outside the blob");
  }
  SECTION("an absurd uncompressed length") {
    Built b = Make();
    b.blob.annotations[0].second = std::to_string(b.chunked.toc_offset) + ":" +
                                   std::to_string(b.chunked.toc_length) + ":999999999999:1";
    RequireRefused(b.blob, "absurd size");
  }
  SECTION("a footer pointing outside the blob") {
    Built b = Make({}, false);
    std::string& bytes = b.chunked.blob;
    bytes[bytes.size() - 33] = '\x7f';  // the high byte of the offset in the 40-byte footer
    b.blob.blob = std::make_shared<MemorySource>(bytes, "layer.zst");
    RequireRefused(b.blob, "outside the blob");
  }
  SECTION("JSON that is not JSON, or of another version") {
    RequireRefused(Make([](std::string& j) { j += "}"; }).blob, "invalid JSON");
    RequireRefused(Make([](std::string& j) { Replace(j, "\"version\":1", "\"version\":2"); }).blob,
                   "\"version\" is not 1");
  }
  SECTION("fields of the wrong type") {
    RequireRefused(
        Make([](std::string& j) { Replace(j, "\"mode\":416", "\"mode\":\"416\""); }).blob,
        "\"mode\" is not a non-negative integer");
    RequireRefused(Make([](std::string& j) { Replace(j, "\"uid\":1000", "\"uid\":-1"); }).blob,
                   "\"uid\" is not a non-negative integer");
    RequireRefused(
        Make([](std::string& j) { Replace(j, "\"modtime\":\"2023", "\"modtime\":\"x2023"); }).blob,
        "RFC 3339");
    RequireRefused(Make([](std::string& j) { Replace(j, "\"YQBi\"", "\"!!\""); }).blob,
                   "not base64");
  }
  SECTION("names that climb out of the layer") {
    RequireRefused(
        Make([](std::string& j) { Replace(j, "\"etc/small\"", "\"../../small\""); }).blob,
        "unsafe name");
  }
  SECTION("unknown types and chunk types") {
    RequireRefused(Make([](std::string& j) { Replace(j, "\"char\"", "\"socket\""); }).blob,
                   "unsupported type");
    RequireRefused(Make([](std::string& j) {
                     Replace(j, "\"type\":\"chunk\"", "\"type\":\"chunk\",\"chunkType\":\"zeros\"");
                   }).blob,
                   "chunk type");
  }
  SECTION("duplicate entries") {
    RequireRefused(Make([](std::string& j) { Replace(j, "\"etc/empty\"", "\"etc/small\""); }).blob,
                   "second entry of the same name");
  }
  SECTION("hardlinks to nothing, or out of the layer") {
    // A target in no layer is the union's to refuse, as for a tar member (whose target may lie
    // in a lower layer). One that climbs out is refused.
    Outcome out = FromToc(Make([](std::string& j) {
                            Replace(j, "\"linkName\":\"etc/small\"", "\"linkName\":\"nope\"");
                          }).blob);
    REQUIRE(out.index != nullptr);
    CHECK(out.warnings.empty());
    CHECK(out.index->member(5).link_target == "nope");
    RequireRefused(Make([](std::string& j) {
                     Replace(j, "\"linkName\":\"etc/small\"", "\"linkName\":\"../x\"");
                   }).blob,
                   "unsafe target");
  }
  SECTION("offsets out of range") {
    RequireRefused(Make([](std::string& j) {
                     size_t at = j.find("\"endOffset\":");
                     j.insert(at + 12, "9999999");
                   }).blob,
                   "not inside the blob");
  }
  SECTION("chunks with gaps, out of order or past their file") {
    RequireRefused(Make([](std::string& j) {
                     Replace(j, "\"chunkOffset\":16384", "\"chunkOffset\":16000");
                   }).blob,
                   "out of order or with gaps");
    RequireRefused(Make([](std::string& j) {
                     size_t at = j.find("\"type\":\"chunk\"");
                     size_t off = j.find("\"offset\":", at);
                     j.replace(off, 9, "\"offset\":1");
                   }).blob,
                   "outside its file's data");
    RequireRefused(Make([](std::string& j) {
                     size_t at = j.find("\"size\":", j.find("\"etc/big.txt\""));
                     j.replace(at, j.find(',', at) - at, "\"size\":100");
                   }).blob,
                   "past the end of its file");
  }
  SECTION("overlapping chunks of two files") {
    // etc/small's data made to start one byte into etc/big.txt's last chunk.
    RequireRefused(Make([](std::string& j) {
                     size_t chunk = j.rfind("\"type\":\"chunk\"");
                     size_t value = j.find("\"offset\":", chunk) + 9;
                     uint64_t last = std::stoull(j.substr(value));
                     size_t off = j.find("\"offset\":", j.find("\"name\":\"etc/small\""));
                     j.replace(off, j.find(',', off) - off,
                               "\"offset\":" + std::to_string(last + 1));
                   }).blob,
                   "overlap");
  }
  SECTION("absurd chunk sizes") {
    RequireRefused(Make([](std::string& j) {
                     Replace(j, "\"chunkSize\":16384", "\"chunkSize\":999999999999");
                   }).blob,
                   "chunk of size");
  }
}

TEST_CASE("a chunk whose bytes changed gives EIO on read, not other bytes", "[toc]") {
  Built b = Make();
  Outcome good = FromToc(b.blob);
  REQUIRE(good.index != nullptr);
  uint32_t big = 1;
  REQUIRE(good.index->path(big) == "etc/big.txt");
  // A literal byte of the second chunk's frame, changed: still decodes (raw blocks are rare),
  // or fails to decode; either way the read must fail.
  const StreamIndex& si = good.index->stream_index();
  uint64_t second = si.points[si.spans[1].point].compressed_bit / 8;
  std::string bytes = b.chunked.blob;
  bytes[second + 20] = static_cast<char>(bytes[second + 20] ^ 0x20);
  b.blob.blob = std::make_shared<MemorySource>(bytes, "layer.zst");
  Outcome bad = FromToc(b.blob);
  REQUIRE(bad.index != nullptr);
  TarMember m = bad.index->member(big);
  std::string out(m.size, '\0');
  try {
    ReadMemberData(*bad.index, m, 0, std::as_writable_bytes(std::span(out)));
    FAIL("a changed chunk was read");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK(e.errno_value() == EIO);
  }
  // The first chunk is intact and still reads.
  std::string head(100, '\0');
  CHECK(ReadMemberData(*bad.index, m, 0, std::as_writable_bytes(std::span(head))) == 100);
  CHECK(head == Contents(*good.index, big).substr(0, 100));
}

namespace {

LayerBlob Estargz(const std::function<void(std::string&)>& edit = {}, bool annotate = true,
                  fixture::EstargzBlob* out = nullptr) {
  fixture::EstargzBlob e = fixture::MakeEstargz(SampleEntries(), 16384, edit);
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(e.blob, "layer.gz");
  blob.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  if (annotate) blob.annotations = {{"containerd.io/snapshot/stargz/toc.digest", e.toc_digest}};
  if (out != nullptr) *out = e;
  return blob;
}

}  // namespace

TEST_CASE("an eStargz TOC gives the members and contents a pass gives", "[toc][estargz]") {
  fixture::EstargzBlob e;
  for (bool annotate : {true, false}) RequireSameAsPass(Estargz({}, annotate, &e));
  // The TOC's own tar entry is a member, its data the JSON.
  Outcome out = FromToc(Estargz());
  REQUIRE(out.index != nullptr);
  uint32_t last = out.index->size() - 1;
  CHECK(out.index->path(last) == "stargz.index.json");
  CHECK(Contents(*out.index, last) == e.toc_json);
}

TEST_CASE("hostile eStargz TOCs are refused and left to the pass", "[toc][estargz]") {
  SECTION("a TOC whose digest is not the annotation's") {
    LayerBlob blob = Estargz();
    blob.annotations[0].second = fixture::Sha256Digest("other");
    RequireRefused(blob, "digest mismatch");
  }
  SECTION("a footer naming an offset outside the blob") {
    fixture::EstargzBlob e;
    Estargz({}, true, &e);
    std::string bytes = e.blob;
    bytes.replace(bytes.size() - 51 + 16, 16, "7fffffffffffffff");
    LayerBlob blob;
    blob.blob = std::make_shared<MemorySource>(bytes, "layer.gz");
    RequireRefused(blob, "outside the blob");
  }
  SECTION("a footer naming something else than the TOC") {
    fixture::EstargzBlob e;
    Estargz({}, true, &e);
    std::string bytes = e.blob;
    bytes.replace(bytes.size() - 51 + 16, 16, "0000000000000000");
    LayerBlob blob;
    blob.blob = std::make_shared<MemorySource>(bytes, "layer.gz");
    RequireRefused(blob, "is not the tar entry stargz.index.json");
  }
  SECTION("chunks out of blob order") {
    RequireRefused(Estargz([](std::string& j) {
                     size_t chunk = j.rfind("\"type\":\"chunk\"");
                     size_t off = j.find("\"offset\":", chunk);
                     j.replace(off, j.find(',', off) - off, "\"offset\":10");
                   }),
                   "not after the previous chunk");
  }
  SECTION("chunks inside gzip members, and zstd:chunked's fields") {
    RequireRefused(Estargz([](std::string& j) {
                     Replace(j, "\"type\":\"chunk\"", "\"type\":\"chunk\",\"innerOffset\":5");
                   }),
                   "innerOffset");
    RequireRefused(Estargz([](std::string& j) {
                     Replace(j, "\"type\":\"reg\"", "\"type\":\"reg\",\"endOffset\":5");
                   }),
                   "endOffset");
  }
}

TEST_CASE("a changed eStargz chunk gives EIO on read", "[toc][estargz]") {
  fixture::EstargzBlob e;
  LayerBlob blob = Estargz({}, true, &e);
  Outcome good = FromToc(blob);
  REQUIRE(good.index != nullptr);
  const StreamIndex& si = good.index->stream_index();
  uint64_t second = si.points[si.spans[1].point].compressed_bit / 8;
  std::string bytes = e.blob;
  bytes[second + 30] = static_cast<char>(bytes[second + 30] ^ 0x20);
  blob.blob = std::make_shared<MemorySource>(bytes, "layer.gz");
  Outcome bad = FromToc(blob);
  REQUIRE(bad.index != nullptr);
  TarMember m = bad.index->member(1);
  REQUIRE(m.path == "etc/big.txt");
  std::string out(m.size, '\0');
  CHECK_THROWS_AS(ReadMemberData(*bad.index, m, 0, std::as_writable_bytes(std::span(out))), Error);
}

TEST_CASE("a chunk that decodes but does not match its TOC digest gives EIO", "[toc]") {
  // The chunk's bytes are intact zstd; the TOC (consistent with its annotation) names another
  // digest for the second chunk: only the digest check can catch it.
  Built b = Make([](std::string& j) {
    size_t chunk = j.find("\"type\":\"chunk\"");
    size_t digest = j.find("\"chunkDigest\":\"sha256:", chunk) + 23;
    j[digest] = j[digest] == '0' ? '1' : '0';
  });
  Outcome out = FromToc(b.blob);
  REQUIRE(out.index != nullptr);
  TarMember m = out.index->member(1);
  std::string head(100, '\0');
  CHECK(ReadMemberData(*out.index, m, 0, std::as_writable_bytes(std::span(head))) == 100);
  std::string second(100, '\0');
  try {
    ReadMemberData(*out.index, m, 16384, std::as_writable_bytes(std::span(second)));
    FAIL("a chunk whose digest differs was read");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK_THAT(std::string(e.what()), Catch::Contains("digest mismatch"));
  }
}

TEST_CASE("RFC 3339 times of TOCs", "[toc]") {
  int64_t sec = 0;
  uint32_t nsec = 0;
  REQUIRE(ParseRfc3339("1970-01-01T00:00:00Z", &sec, &nsec));
  CHECK(sec == 0);
  REQUIRE(ParseRfc3339("2023-11-14T22:13:21.123456789Z", &sec, &nsec));
  CHECK(sec == 1700000001);
  CHECK(nsec == 123456789);
  REQUIRE(ParseRfc3339("2023-11-15T00:13:21.5+02:00", &sec, &nsec));
  CHECK(sec == 1700000001);
  CHECK(nsec == 500000000);
  REQUIRE(ParseRfc3339("0001-01-01T00:00:00Z", &sec, &nsec));
  CHECK(sec == -62135596800);
  CHECK_FALSE(ParseRfc3339("2023-13-01T00:00:00Z", &sec, &nsec));
  CHECK_FALSE(ParseRfc3339("2023-01-01 00:00:00Z", &sec, &nsec));
  CHECK_FALSE(ParseRfc3339("2023-01-01T00:00:00", &sec, &nsec));
  CHECK_FALSE(ParseRfc3339("2023-01-01T00:00:00.Z", &sec, &nsec));
}

}  // namespace imgmount
