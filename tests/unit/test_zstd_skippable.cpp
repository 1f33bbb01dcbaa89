// zstd streams with skippable frames (magic 0x184D2A50..5F): real `pzstd` output, which puts one
// before every frame, is sniffed as zstd, indexed with points at the real frame starts, and read
// back byte for byte; skippable frames first, in the middle, at the end and alone.
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/stream/decode_pass.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

using testing::ReadString;

// Runs the real pzstd (Debian's zstd package) on `data` with `options`; returns its output.
std::string Pzstd(const std::string& data, const std::string& options) {
  testing::TempFile input(data);
  std::string output = input.path() + ".zst";
  std::string command = "pzstd -q -f " + options + " '" + input.path() + "' -o '" + output + "'";
  int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::ifstream in(output, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(output.c_str());
  return bytes;
}

bool IsSkippableAt(const std::string& blob, uint64_t at) {
  return at + 4 <= blob.size() && (static_cast<uint8_t>(blob[at]) & 0xf0) == 0x50 &&
         blob.compare(at + 1, 3, "\x2a\x4d\x18") == 0;
}

// The start offsets of the zstd frames (not the skippable ones), walked with libzstd alone.
std::vector<uint64_t> DataFrameStarts(const std::string& blob, size_t* skippable) {
  std::vector<uint64_t> starts;
  *skippable = 0;
  for (uint64_t at = 0; at < blob.size();) {
    size_t n = ZSTD_findFrameCompressedSize(blob.data() + at, blob.size() - at);
    REQUIRE_FALSE(ZSTD_isError(n));
    if (IsSkippableAt(blob, at)) {
      ++*skippable;
    } else {
      starts.push_back(at);
    }
    at += n;
  }
  return starts;
}

std::unique_ptr<DecodePass> SniffedPass(const std::string& blob, uint64_t span) {
  SourcePtr source = testing::Mem(blob, "layer.tar.zst");
  DecodeOptions options;
  options.span_bytes = span;
  return StartDecodePass(source, SniffCodec(*source), "layer.tar.zst", options);
}

// Decodes `blob` through a sniffed pass and checks digests, points and random reads.
void CheckDecodes(const std::string& blob, const std::string& ref, uint64_t span) {
  REQUIRE(SniffCodec(*testing::Mem(blob)) == Codec::kZstd);
  auto pass = SniffedPass(blob, span);
  pass->Drain();
  CHECK(pass->StreamDigest() == testing::Sha256Of(ref));
  CHECK(pass->BlobDigest() == testing::Sha256Of(blob));  // skippable bytes included
  size_t skippable = 0;
  std::vector<uint64_t> starts = DataFrameStarts(blob, &skippable);
  for (const AccessPoint& point : pass->Index().points) {
    if (point.in_local_copy) continue;
    CHECK(std::find(starts.begin(), starts.end(), point.compressed_bit / 8) != starts.end());
  }
  SourcePtr source = pass->Finish();
  REQUIRE(source->Size() == ref.size());
  testing::Rng rng(ref.size());
  for (int i = 0; i < 100; ++i) {
    uint64_t offset = rng.Below(ref.size());
    REQUIRE(ReadString(*source, offset, 70000) == ref.substr(offset, 70000));
  }
  CHECK(ReadString(*source, 0, ref.size()) == ref);
}

}  // namespace

TEST_CASE("a stream that begins with a skippable frame is zstd", "[zstd][skippable]") {
  std::string frame = testing::ZstdFrame("payload");
  for (int low = 0; low < 16; ++low) {
    std::string skippable = testing::SkippableFrame("meta");
    skippable[0] = static_cast<char>(0x50 + low);
    INFO("magic 0x184D2A5" << std::hex << low);
    CHECK(SniffCodec(*testing::Mem(skippable + frame)) == Codec::kZstd);
    CHECK(SniffCodec(*testing::Mem(skippable)) == Codec::kZstd);
  }
  // As containerd and moby decide: the 8-byte header must be there; other magics are not zstd.
  CHECK(SniffCodec(*testing::Mem(std::string("\x50\x2a\x4d\x18\x04\x00\x00", 7))) == Codec::kNone);
  CHECK(SniffCodec(*testing::Mem(std::string("\x60\x2a\x4d\x18\0\0\0\0", 8))) == Codec::kNone);
  CHECK(SniffCodec(*testing::Mem(std::string("\x50\x2a\x4d\x19\0\0\0\0", 8))) == Codec::kNone);
}

TEST_CASE("real pzstd output, one frame, is indexed and read as zstd", "[zstd][skippable]") {
  std::string ref = testing::MakeText(300000, 41);
  std::string blob = Pzstd(ref, "-3");
  size_t skippable = 0;
  REQUIRE(DataFrameStarts(blob, &skippable).size() == 1);
  REQUIRE(skippable == 1);
  REQUIRE(IsSkippableAt(blob, 0));
  CheckDecodes(blob, ref, 1 << 20);
}

TEST_CASE("real pzstd output, one large frame, is served from a local copy", "[zstd][skippable]") {
  std::string ref = testing::MakeText(3 << 20, 42);
  std::string blob = Pzstd(ref, "-3 -p 1");
  size_t skippable = 0;
  REQUIRE(DataFrameStarts(blob, &skippable).size() == 1);
  auto pass = SniffedPass(blob, 128 * 1024);
  pass->Drain();
  size_t local = 0;
  for (const AccessPoint& point : pass->Index().points) local += point.in_local_copy ? 1 : 0;
  CHECK(local == pass->Index().points.size());
  CHECK(local > 1);
  CheckDecodes(blob, ref, 128 * 1024);
}

TEST_CASE("real pzstd output, several frames, has a point at each frame", "[zstd][skippable]") {
  std::string ref = testing::MakeText(7 << 20, 43);
  std::string blob = Pzstd(ref, "-1 -p 2");
  size_t skippable = 0;
  std::vector<uint64_t> starts = DataFrameStarts(blob, &skippable);
  REQUIRE(starts.size() >= 3);
  REQUIRE(skippable == starts.size());
  auto pass = SniffedPass(blob, 1 << 20);
  pass->Drain();
  std::vector<uint64_t> points;
  for (const AccessPoint& point : pass->Index().points) {
    if (!point.in_local_copy) points.push_back(point.compressed_bit / 8);
  }
  for (uint64_t start : starts) {
    CHECK(std::find(points.begin(), points.end(), start) != points.end());
  }
  CheckDecodes(blob, ref, 1 << 20);
}

TEST_CASE("skippable frames first, in the middle, at the end, several in a row",
          "[zstd][skippable]") {
  std::string ref = testing::MakeText(900000, 44);
  std::string_view v(ref);
  std::string blob = testing::SkippableFrame("first") + testing::SkippableFrame("") +
                     testing::ZstdFrame(v.substr(0, 300000)) + testing::SkippableFrame("middle") +
                     testing::SkippableFrame(std::string(70000, 'm')) +
                     testing::ZstdFrame(v.substr(300000, 300000), 3, false) +
                     testing::ZstdFrame(v.substr(600000)) + testing::SkippableFrame("end");
  // Spans cross the skippable frames between the zstd frames.
  CheckDecodes(blob, ref, 64 * 1024);
  CheckDecodes(blob, ref, 1 << 20);
}

TEST_CASE("a stream of skippable frames only is zstd with an empty content", "[zstd][skippable]") {
  std::string blob = testing::SkippableFrame("meta") + testing::SkippableFrame("");
  REQUIRE(SniffCodec(*testing::Mem(blob)) == Codec::kZstd);
  auto pass = SniffedPass(blob, 4096);
  SourcePtr source = pass->Finish();
  CHECK(source->Size() == 0);
  CHECK(pass->StreamDigest() == testing::Sha256Of(""));
  CHECK(pass->BlobDigest() == testing::Sha256Of(blob));
  // A skippable frame cut short is a truncated stream, not an empty one.
  std::string cut = blob.substr(0, 10);
  REQUIRE(SniffCodec(*testing::Mem(cut)) == Codec::kZstd);
  auto bad = SniffedPass(cut, 4096);
  CHECK_THROWS_AS(bad->Drain(), Error);
}

}  // namespace imgmount
