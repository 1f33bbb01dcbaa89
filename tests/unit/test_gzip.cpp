// gzip: resuming ISA-L at the access points of streams from many encoders, tiny spans, member
// framing, corrupt and truncated blobs, and blobs changed after indexing.
#include <catch2/catch.hpp>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/basic_sources.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/span_cache.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

using testing::ReadString;

std::unique_ptr<DecodePass> Pass(const std::string& blob, uint64_t span, bool hash = true) {
  DecodeOptions options;
  options.span_bytes = span;
  options.hash = hash;
  options.cache_bytes = 16 * span;
  return StartDecodePass(testing::Mem(blob, "test.gz"), Codec::kGzip, "test.gz", options);
}

// Decodes `blob` fully, then reads every span through the random-access source.
void CheckEverySpan(const std::string& blob, const std::string& ref, uint64_t span) {
  auto pass = Pass(blob, span);
  pass->Drain();
  REQUIRE(pass->StreamDigest() == testing::Sha256Of(ref));
  SourcePtr source = pass->Finish();
  REQUIRE(source->Size() == ref.size());
  const StreamIndex& index = pass->Index();
  size_t with_window = 0;
  for (const AccessPoint& point : index.points) with_window += point.window_size > 0 ? 1 : 0;
  INFO("points " << index.points.size() << ", with window " << with_window);
  for (size_t i = index.spans.size(); i-- > 0;) {  // backwards: every span decodes cold
    const SpanInfo& s = index.spans[i];
    REQUIRE(s.size <= 2 * span);
    REQUIRE(ReadString(*source, s.start, s.size) == ref.substr(s.start, s.size));
  }
}

std::string ErrorOf(const std::string& blob) {
  try {
    auto pass = Pass(blob, 64 * 1024);
    pass->Drain();
    pass->Finish();
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + ": " + e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("gzip access points resume for every encoder", "[gzip]") {
  std::string text = testing::MakeText(1 << 20, 11);
  std::string mixed = text.substr(0, 300000) + std::string(200000, '\0');
  testing::Rng rng(5);
  for (int i = 0; i < 100000; ++i) mixed.push_back(static_cast<char>(rng.Next()));
  mixed += text.substr(300000, 200000);
  struct Variant {
    const char* name;
    testing::GzipOptions options;
  };
  const Variant variants[] = {
      {"zlib level 1", {.level = 1}},
      {"zlib level 6", {.level = 6}},
      {"zlib level 9", {.level = 9}},
      {"stored blocks", {.level = 0}},
      {"fixed Huffman", {.level = 6, .strategy = Z_FIXED}},
      {"Huffman only", {.level = 6, .strategy = Z_HUFFMAN_ONLY}},
      {"run-length", {.level = 6, .strategy = Z_RLE}},
      {"filtered", {.level = 6, .strategy = Z_FILTERED}},
      {"small blocks", {.level = 6, .mem_level = 1}},
      {"large blocks", {.level = 9, .mem_level = 9}},
      {"header fields", {.level = 6, .header_fields = true}},
  };
  for (const auto& data : {text, mixed}) {
    for (const Variant& v : variants) {
      INFO(v.name);
      CheckEverySpan(testing::GzipMember(data, v.options), data, 16 * 1024);
    }
    for (int level = 0; level <= 3; ++level) {
      INFO("ISA-L level " << level);
      CheckEverySpan(testing::IsalGzipMember(data, level), data, 16 * 1024);
    }
  }
}

TEST_CASE("gzip with tiny spans has thousands of points", "[gzip]") {
  std::string ref = testing::MakeText(32 << 20, 12);
  std::string blob = testing::GzipMember(ref, {.level = 1, .mem_level = 5});
  auto pass = Pass(blob, 4096);
  pass->Drain();
  CHECK(pass->StreamDigest() == testing::Sha256Of(ref));
  SourcePtr source = pass->Finish();
  const StreamIndex& index = pass->Index();
  // ISA-L decodes up to 32 KiB ahead of what it returns, so points end up at least that far
  // apart (denser ones would cost more index than data); spans are still cut every 8 KiB.
  CHECK(index.points.size() > 500);
  CHECK(index.spans.size() > 4000);
  testing::Rng rng(3);
  for (int i = 0; i < 1500; ++i) {
    uint64_t offset = rng.Below(ref.size());
    size_t length = rng.Below(2) ? 4096 : 1 + rng.Below(40000);
    REQUIRE(ReadString(*source, offset, length) == ref.substr(offset, length));
  }
}

TEST_CASE("gzip deflate blocks larger than a span are read in bounded pieces", "[gzip]") {
  std::string ref =
      testing::MakeText(100000, 1) + std::string(20 << 20, '\0') + testing::MakeText(100000, 2);
  std::string blob = testing::GzipMember(ref, {.level = 9, .mem_level = 9});
  auto pass = Pass(blob, 64 * 1024);
  pass->Drain();
  SourcePtr source = pass->Finish();
  const StreamIndex& index = pass->Index();
  uint64_t largest = 0;
  for (const SpanInfo& span : index.spans) largest = std::max(largest, span.size);
  CHECK(largest <= 128 * 1024);
  // Few points: the zeros compress ~1000:1, and points are spaced by compressed bytes too.
  CHECK(index.points.size() < 40);
  uint64_t deep = 100000 + (19 << 20);
  CHECK(ReadString(*source, deep, 4096) == std::string(4096, '\0'));
  CHECK(ReadString(*source, ref.size() - 5000, 5000) == ref.substr(ref.size() - 5000));
  auto* cached = dynamic_cast<const CachedStream*>(source.get());
  REQUIRE(cached != nullptr);
  CHECK(cached->cache()->stats().bytes <= 16 * 64 * 1024 + 128 * 1024);
}

TEST_CASE("gzip members: empty members, header fields, member-start points", "[gzip]") {
  std::string ref = testing::MakeText(600000, 13);
  std::string blob = testing::GzipMember("") + testing::GzipMembers(ref, {100000, 0, 250000}) +
                     testing::GzipMember("", {.header_fields = true});
  auto pass = Pass(blob, 32 * 1024);
  pass->Drain();
  CHECK(pass->StreamDigest() == testing::Sha256Of(ref));
  size_t member_starts = 0;
  for (const AccessPoint& point : pass->Index().points) {
    if (point.window_size == 0) ++member_starts;
  }
  CHECK(member_starts >= 3);
  SourcePtr source = pass->Finish();
  CHECK(ReadString(*source, 99990, 20) == ref.substr(99990, 20));
  CHECK(ReadString(*source, 0, ref.size()) == ref);
}

TEST_CASE("corrupt and truncated gzip is an error naming the blob", "[gzip]") {
  std::string ref = testing::MakeText(300000, 14);
  std::string good = testing::GzipMember(ref) + testing::GzipMember(ref.substr(0, 1000));
  REQUIRE(ErrorOf(good).empty());

  for (size_t cut : {size_t{0}, size_t{1}, size_t{5}, size_t{10}, size_t{11}, good.size() / 3,
                     good.size() / 2, good.size() - 9, good.size() - 4, good.size() - 1}) {
    INFO("cut at " << cut);
    std::string error = ErrorOf(good.substr(0, cut));
    CHECK_THAT(error, Catch::Contains("bad image"));
    CHECK_THAT(error, Catch::Contains("test.gz"));
  }
  testing::Rng rng(9);
  for (int i = 0; i < 40; ++i) {
    std::string bad = good;
    size_t at = 10 + rng.Below(good.size() - 30);
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng.Below(255)));
    INFO("flip at " << at);
    CHECK_FALSE(ErrorOf(bad).empty());
  }
  std::string bad_crc = good;
  size_t first_trailer = testing::GzipMember(ref).size() - 8;
  bad_crc[first_trailer] ^= 1;
  CHECK_THAT(ErrorOf(bad_crc), Catch::StartsWith("integrity") && Catch::Contains("CRC"));
  std::string bad_size = good;
  bad_size[first_trailer + 4] ^= 1;
  CHECK_THAT(ErrorOf(bad_size), Catch::StartsWith("integrity") && Catch::Contains("size"));
  CHECK_THAT(ErrorOf(good + "garbage!"), Catch::Contains("trailing garbage"));
  CHECK_THAT(ErrorOf(good + std::string(512, '\0')), Catch::Contains("trailing garbage"));
  std::string bad_method = good;
  bad_method[2] = 9;
  CHECK_THAT(ErrorOf(bad_method), Catch::Contains("method"));
  std::string reserved = good;
  reserved[3] = static_cast<char>(0x80);
  CHECK_THAT(ErrorOf(reserved), Catch::Contains("reserved"));
  std::string header_crc = testing::GzipMember(ref, {.header_fields = true});
  size_t hcrc_at = header_crc.find("a comment") + 10;
  header_crc[hcrc_at] ^= 1;
  CHECK_THAT(ErrorOf(header_crc), Catch::Contains("header CRC"));
  CHECK_FALSE(ErrorOf("\x1f\x8b").empty());
}

TEST_CASE("a gzip blob changed after indexing gives errors, never wrong bytes", "[gzip]") {
  std::string ref = testing::MakeText(2 << 20, 15);
  std::string blob = testing::GzipMember(ref);
  testing::TempFile file(blob);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  auto blob_file = FileSource::Open(file.path());
  auto pass = StartDecodePass(blob_file, Codec::kGzip, "layer", options);
  pass->Drain();
  SourcePtr source = pass->Finish();
  SourcePtr cold = OpenIndexed(blob_file, pass->Index(), "layer", options);
  // Change compressed bytes in the middle, keeping the size.
  std::string patch = blob.substr(blob.size() / 2, 64);
  for (char& c : patch) c = static_cast<char>(c ^ 0x5a);
  file.Patch(blob.size() / 2, patch);
  size_t failures = 0;
  for (const SpanInfo& span : pass->Index().spans) {
    std::string got;
    try {
      got = ReadString(*source, span.start, span.size);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kIntegrity);
      CHECK(e.errno_value() == EIO);
      CHECK_THAT(e.what(), Catch::Contains("changed since indexing"));
      ++failures;
      continue;
    }
    REQUIRE(got == ref.substr(span.start, span.size));
  }
  CHECK(failures > 0);
  file.Write(blob.substr(0, blob.size() / 3));  // truncated underneath
  CHECK_THROWS_AS(ReadString(*cold, ref.size() - 100, 100), Error);
  CHECK_THROWS_AS(OpenIndexed(FileSource::Open(file.path()), pass->Index(), "layer"), Error);
}

TEST_CASE("gzip index reopens from a copy, and refuses inconsistent ones", "[gzip]") {
  std::string ref = testing::MakeText(1 << 20, 16);
  std::string blob = testing::GzipMember(ref);
  auto pass = Pass(blob, 32 * 1024);
  pass->Drain();
  StreamIndex index = pass->Index();
  SourcePtr reopened = OpenIndexed(testing::Mem(blob), index, "again");
  CHECK(ReadString(*reopened, 500000, 70000) == ref.substr(500000, 70000));
  CHECK(ReadString(*reopened, 0, ref.size()) == ref);

  StreamIndex wrong_size = index;
  wrong_size.blob_size += 1;
  CHECK_THROWS_AS(OpenIndexed(testing::Mem(blob), wrong_size, "x"), Error);
  StreamIndex gap = index;
  gap.spans[3].start += 1;
  CHECK_THROWS_AS(OpenIndexed(testing::Mem(blob), gap, "x"), Error);
  StreamIndex huge = index;
  huge.spans.back().size = uint64_t{1} << 40;
  huge.stream_size = huge.spans.back().start + huge.spans.back().size;
  CHECK_THROWS_AS(OpenIndexed(testing::Mem(blob), huge, "x"), Error);
  StreamIndex bad_window = index;
  bad_window.points[1].window = "not deflate";
  SourcePtr damaged = OpenIndexed(testing::Mem(blob), bad_window, "x");
  uint64_t in_span = bad_window.spans[bad_window.points.size() > 1 ? 2 : 0].start;
  for (const SpanInfo& span : bad_window.spans) {
    if (span.point == 1) in_span = span.start;
  }
  CHECK_THROWS_AS(ReadString(*damaged, in_span, 10), Error);
}

}  // namespace imgmount

namespace imgmount {
namespace {

// A blob whose every read is refused the way a registry refuses one (credentials gone).
class RefusingSource final : public ByteSource {
 public:
  explicit RefusingSource(uint64_t size) : size_(size) {}
  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t, std::span<std::byte>) const override {
    throw Error(ErrorKind::kUnauthorized, EACCES, "registry: unauthorized");
  }
  std::string Describe() const override { return "refusing blob"; }

 private:
  uint64_t size_;
};

}  // namespace

TEST_CASE("a refused read of an indexed blob stays unauthorized, not changed", "[gzip]") {
  std::string ref = testing::MakeText(1 << 20, 16);
  std::string blob = testing::GzipMember(ref);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  auto pass = StartDecodePass(std::make_shared<MemorySource>(blob, "layer"), Codec::kGzip, "layer",
                              options);
  pass->Drain();
  pass->Finish();
  SourcePtr refused =
      OpenIndexed(std::make_shared<RefusingSource>(blob.size()), pass->Index(), "layer", options);
  try {
    ReadString(*refused, ref.size() / 2, 100);
    FAIL("a refused read returned bytes");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUnauthorized);
    CHECK(e.errno_value() == EACCES);
  }
}

}  // namespace imgmount
