// The layer index file: a real indexed layer written and read back field for field, for every
// codec; and the reader's distrust: every flipped byte, every truncation, another version or
// kind, another blob size or codec, and records that are wrong although the checksum fits.
#include <catch2/catch.hpp>
#include <cstring>

#include "index/cache/index_file.h"
#include "index/layer/tar_indexer.h"
#include "layers/base/error.h"
#include "layers/base/section_file.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/scratch_file.h"
#include "tests/unit/test_byte_sources_fixtures.h"
#include "tests/unit/test_index_cache_support.h"
#include "tests/unit/test_index_file_support.h"

namespace imgmount {
namespace {

using namespace fixture;

using testing::Forge;
using testing::IndexAndWrite;
using testing::Refusal;
using testing::TempDir;
using testing::Written;

}  // namespace

TEST_CASE("a layer index file round-trips every field", "[index-file]") {
  TempDir dir;
  for (Compression method : {Compression::kNone, Compression::kGzip, Compression::kZstdMulti}) {
    INFO("codec " << CompressionName(method));
    Written w = IndexAndWrite(dir, method, 3 << 20);
    std::string why;
    auto file = ReadLayerIndexFile(w.path, w.blob.blob->Size(), SniffCodec(*w.blob.blob), &why);
    INFO(why);
    REQUIRE(file.has_value());
    CHECK(why.empty());
    CHECK(file->info.key == w.blob.digest);
    // An uncompressed layer's data is skipped, so its digest is not verified.
    CHECK(file->info.verified == (method != Compression::kNone));
    CHECK(file->info.created == 1700000000);
    auto loaded = std::make_shared<LayerIndex>("layer 1", file->tables, file->owner);
    SourcePtr stream = OpenIndexed(w.blob.blob, file->stream.index, "layer 1");
    loaded->AttachStream(stream, file->stream.index, file->info.digests);
    CHECK(testing::Dump(*loaded) == testing::Dump(*w.index));
    // The reopened stream serves the same bytes as the pass's.
    for (uint64_t at : {uint64_t{0}, stream->Size() / 3, stream->Size() - 100}) {
      CHECK(testing::ReadString(*stream, at, 5000) ==
            testing::ReadString(*w.index->stream(), at, 5000));
    }
    if (method != Compression::kNone) CHECK(file->stream.index.points.size() >= 1);
  }
}

TEST_CASE("a zstd local copy is named by the index file", "[index-file]") {
  TempDir dir;
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  Written w = IndexAndWrite(dir, Compression::kZstd, 2 << 20, options);
  std::string why;
  auto file = ReadLayerIndexFile(w.path, w.blob.blob->Size(), Codec::kZstd, &why);
  REQUIRE(file.has_value());
  CHECK(file->info.local_copy_name == "sha256-x.0000000000000000.zst");
  CHECK(UsesLocalCopy(file->stream.index));
  CHECK(file->stream.local_copy_size > 0);
  // Without the copy the stream cannot be reopened.
  CHECK_THROWS_AS(OpenIndexed(w.blob.blob, file->stream.index, "layer 1"), Error);
}

TEST_CASE("every flipped byte and every truncation of an index file means rebuild",
          "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, Compression::kGzip);
  REQUIRE(w.bytes.size() > 1000);
  for (size_t at = 0; at < w.bytes.size(); ++at) {
    std::string bytes = w.bytes;
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
    INFO("byte " << at);
    REQUIRE_FALSE(Refusal(dir, w, bytes).empty());
  }
  for (size_t length = 0; length < w.bytes.size(); length += 1 + length / 16) {
    INFO("length " << length);
    REQUIRE_FALSE(Refusal(dir, w, w.bytes.substr(0, length)).empty());
  }
  CHECK_FALSE(Refusal(dir, w, w.bytes + std::string(8, '\0')).empty());
  CHECK(Refusal(dir, w, w.bytes).empty());
}

TEST_CASE("an index file of another version, kind, blob or codec means rebuild", "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, Compression::kGzip);
  for (char version : {0, 1, 2, 4}) {
    std::string other = w.bytes;
    other[8] = version;  // 1: 80-byte member records; 2: libarchive's reading
    CHECK(Refusal(dir, w, other).find("version") != std::string::npos);
  }
  std::string foreign = w.bytes;
  std::memcpy(foreign.data(), "IMGMARCH", 8);
  CHECK_FALSE(Refusal(dir, w, foreign).empty());
  std::string other_order = w.bytes;
  std::swap(other_order[12], other_order[15]);
  CHECK(Refusal(dir, w, other_order).find("byte order") != std::string::npos);
  std::string why;
  CHECK_FALSE(ReadLayerIndexFile(w.path, w.blob.blob->Size() + 1, Codec::kGzip, &why));
  CHECK(why.find("blob size") != std::string::npos);
  CHECK_FALSE(ReadLayerIndexFile(w.path, w.blob.blob->Size(), Codec::kZstd, &why));
  CHECK_FALSE(ReadLayerIndexFile(dir / "missing.idx", 1, Codec::kGzip, &why));
  CHECK(why.empty());
  testing::WriteFileBytes(dir / "empty.idx", "");
  CHECK_FALSE(ReadLayerIndexFile(dir / "empty.idx", 1, Codec::kGzip, &why));
  CHECK_FALSE(why.empty());
}

TEST_CASE("forged records are refused although the checksum fits", "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, Compression::kGzip, 1 << 20);
  const IndexTables& t = w.index->tables();
  const auto& members = t.members;
  auto extra = [&](uint32_t i) { return members[i].extra_index; };
  uint32_t sparse = 0;
  uint32_t link = 0;
  uint32_t fifo = 0;
  uint32_t nsec = 0;
  uint32_t xattr = 0;
  for (uint32_t i = 0; i < members.size(); ++i) {
    if (w.index->member(i).sparse.size() > 0) sparse = i;
    if (w.index->member(i).mtime_nsec > 0) nsec = i;
    if (w.index->member(i).xattrs.size() > 0) xattr = i;
    if (w.index->type(i) == MemberType::kHardlink) link = i;
    if (w.index->type(i) == MemberType::kFifo) fifo = i;
  }
  REQUIRE(sparse > 0);
  REQUIRE(link > 0);
  REQUIRE(fifo > 0);
  REQUIRE(nsec > 0);
  REQUIRE(xattr > 0);
  uint32_t dot_dot_slash_x = 0;
  std::memcpy(&dot_dot_slash_x, "../x", 4);
  uint64_t strings = t.strings.size();
  auto at = [](uint32_t member, size_t field) { return uint64_t{member} * 40 + field; };
  auto attr_of = [&](uint32_t member, size_t field) {
    return uint64_t{members[member].attr_index} * 20 + field;
  };
  auto extra_of = [&](uint32_t member, size_t field) {
    return uint64_t{extra(member)} * 32 + field;
  };
  std::vector<std::pair<std::string, std::string>> forgeries = {
      {"path past the string table", Forge(w.bytes, "MEMB", at(1, 24), uint32_t(strings))},
      {"path length past the table", Forge(w.bytes, "MEMB", at(1, 28), uint32_t(0xffffffff))},
      {"unknown type", Forge(w.bytes, "ATTR", attr_of(1, 2), uint8_t(9))},
      {"mode bits beyond 07777", Forge(w.bytes, "ATTR", attr_of(1, 0), uint16_t(0170000))},
      {"nanoseconds", Forge(w.bytes, "EXTR", extra_of(nsec, 8), uint32_t(1000000000))},
      {"data past the stream", Forge(w.bytes, "MEMB", at(1, 0), uint64_t(1) << 62)},
      {"size past the stream", Forge(w.bytes, "MEMB", at(1, 8), uint64_t(1) << 40)},
      {"xattr range", Forge(w.bytes, "EXTR", extra_of(xattr, 16), uint32_t(1000))},
      {"sparse range", Forge(w.bytes, "EXTR", extra_of(sparse, 24), uint32_t(1000))},
      {"sparse run past the size", Forge(w.bytes, "SPRS", 8, uint64_t(1) << 50)},
      {"hardlink without a target", Forge(w.bytes, "EXTR", extra_of(link, 4), uint32_t(0))},
      {"device numbers on a fifo", Forge(w.bytes, "ATTR", attr_of(fifo, 12), uint32_t(5))},
      {"a path climbing out with ..",
       Forge(w.bytes, "STRS", members[1].path_offset, dot_dot_slash_x)},
      {"a hardlink target climbing out",
       Forge(w.bytes, "STRS", t.extras[extra(link)].link_offset, dot_dot_slash_x)},
      {"xattr name past the table", Forge(w.bytes, "XATR", 0, uint32_t(strings + 1))},
      {"span gap", Forge(w.bytes, "SPNS", 0, uint64_t(1))},
      {"span of size 0", Forge(w.bytes, "SPNS", 8, uint64_t(0))},
      {"span point out of range", Forge(w.bytes, "SPNS", 16, uint32_t(77))},
      {"point past the blob", Forge(w.bytes, "PNTS", 0, uint64_t(1) << 60)},
      {"point window too large", Forge(w.bytes, "PNTS", 28, uint32_t(65536))},
      {"window past its section", Forge(w.bytes, "PNTS", 16, uint64_t(1) << 40)},
      {"unknown codec", Forge(w.bytes, "STRM", 0, uint32_t(7))},
      {"stream size", Forge(w.bytes, "STRM", 16, uint64_t(5))},
      {"unknown flags", Forge(w.bytes, "LAYR", 0, uint32_t(8))},
      {"identity field lengths", Forge(w.bytes, "IDNT", 0, uint32_t(1 << 30))},
  };
  for (const auto& [what, bytes] : forgeries) {
    INFO(what);
    CHECK_FALSE(Refusal(dir, w, bytes).empty());
  }
}

TEST_CASE("random forged damage never crashes the reader or the reads", "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, Compression::kGzip, 1 << 20);
  testing::Rng rng(99);
  size_t accepted = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bytes = w.bytes;
    for (int k = 0; k < 3; ++k) {
      size_t at = 32 + rng.Below(bytes.size() - 32);
      bytes[at] = static_cast<char>(rng.Next());
    }
    uint32_t crc = Crc32(0, std::as_bytes(std::span(bytes).subspan(32)));
    std::memcpy(bytes.data() + 28, &crc, 4);
    std::string path = dir / "random.idx";
    testing::WriteFileBytes(path, bytes);
    std::string why;
    auto file = ReadLayerIndexFile(path, w.blob.blob->Size(), Codec::kGzip, &why);
    if (!file) continue;
    ++accepted;
    // Whatever passed the checks must be safe to use: reads either work or throw Error.
    auto index = std::make_shared<LayerIndex>("layer", file->tables, file->owner);
    try {
      SourcePtr stream = OpenIndexed(w.blob.blob, file->stream.index, "layer");
      for (uint32_t i = 0; i < index->size(); ++i) {
        TarMember m = index->member(i);
        testing::ReadString(*stream, m.data_offset,
                            static_cast<size_t>(std::min<uint64_t>(m.size, 4096)));
      }
    } catch (const Error&) {
    }
  }
  CHECK(accepted < 300);
}

}  // namespace imgmount
