// zstd: points at frame starts, the local-copy fallback for large frames, skippable frames,
// corrupt and truncated blobs, and blobs changed after indexing.
#include <dirent.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/scratch_file.h"
#include "layers/stream/decode_pass.h"
#include "layers/zstd/zstd_pass.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

using testing::ReadString;

std::unique_ptr<DecodePass> Pass(const std::string& blob, uint64_t span,
                                 const std::string& scratch = "") {
  DecodeOptions options;
  options.span_bytes = span;
  options.scratch_dir = scratch;
  return StartDecodePass(testing::Mem(blob, "test.zst"), Codec::kZstd, "test.zst", options);
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

size_t Entries(const std::string& dir) {
  size_t n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("zstd frames are access points", "[zstd]") {
  std::string ref = testing::MakeText(2 << 20, 21);
  std::string blob = testing::ZstdFrames(ref, 40000) + testing::SkippableFrame("seek table");
  auto pass = Pass(blob, 100000);
  pass->Drain();
  CHECK(pass->StreamDigest() == testing::Sha256Of(ref));
  CHECK(pass->BlobDigest() == testing::Sha256Of(blob));
  const StreamIndex& index = pass->Index();
  // Every point is a frame start: walk the frames independently.
  std::vector<uint64_t> frame_starts;
  for (uint64_t at = 0; at < blob.size();) {
    frame_starts.push_back(at);
    size_t n = ZSTD_findFrameCompressedSize(blob.data() + at, blob.size() - at);
    REQUIRE_FALSE(ZSTD_isError(n));
    at += n;
  }
  for (const AccessPoint& point : index.points) {
    CHECK_FALSE(point.in_local_copy);
    CHECK(point.window_size == 0);
    CHECK(point.compressed_bit % 8 == 0);
    CHECK(std::find(frame_starts.begin(), frame_starts.end(), point.compressed_bit / 8) !=
          frame_starts.end());
    CHECK(point.uncompressed % 40000 == 0);
  }
  CHECK(index.points.size() >= 15);
  SourcePtr source = pass->Finish();
  CHECK(ReadString(*source, 39990, 20) == ref.substr(39990, 20));
  CHECK(ReadString(*source, 0, ref.size()) == ref);
}

TEST_CASE("a single large zstd frame is served from a local copy", "[zstd]") {
  std::string ref = testing::MakeText(3 << 20, 22);
  std::string scratch = "/tmp/imgmount-zstd-scratch-XXXXXX";
  REQUIRE(mkdtemp(scratch.data()) != nullptr);
  {
    auto pass = Pass(testing::ZstdFrame(ref, 5, true, true), 128 * 1024, scratch);
    pass->Drain();
    const StreamIndex& index = pass->Index();
    size_t local = 0;
    for (const AccessPoint& point : index.points) local += point.in_local_copy ? 1 : 0;
    CHECK(local == index.points.size());
    CHECK(index.points.size() == (ref.size() + 128 * 1024 - 1) / (128 * 1024));
    for (const SpanInfo& span : index.spans) CHECK(span.size <= 128 * 1024);
    SourcePtr source = pass->Finish();
    CHECK(Entries(scratch) == 0);  // anonymous: nothing to clean up, nothing to find
    testing::Rng rng(4);
    for (int i = 0; i < 200; ++i) {
      uint64_t offset = rng.Below(ref.size());
      REQUIRE(ReadString(*source, offset, 4096) == ref.substr(offset, 4096));
    }
    CHECK_THROWS_AS(OpenIndexed(testing::Mem("x"), index, "x"), Error);
  }
  CHECK(rmdir(scratch.c_str()) == 0);
}

TEST_CASE("a local copy holds small frames whatever the span size", "[zstd]") {
  // A cold read decodes one frame of the copy: with 2 MiB spans the frames stay at
  // kLocalCopyFrameBytes, so that such a read costs a quarter of a span.
  std::string ref = testing::MakeText((9 << 20) + 12345, 26);
  auto pass = Pass(testing::ZstdFrame(ref, 3), 2 << 20);
  pass->Drain();
  const StreamIndex& index = pass->Index();
  REQUIRE(index.spans.size() == (ref.size() + kLocalCopyFrameBytes - 1) / kLocalCopyFrameBytes);
  for (const SpanInfo& span : index.spans) {
    CHECK(span.size <= kLocalCopyFrameBytes);
    CHECK(index.points[span.point].in_local_copy);
    CHECK(index.points[span.point].uncompressed == span.start);
  }
  SourcePtr source = pass->Finish();
  testing::Rng rng(5);
  for (int i = 0; i < 100; ++i) {
    uint64_t offset = rng.Below(ref.size());
    REQUIRE(ReadString(*source, offset, 4096) == ref.substr(offset, 4096));
  }
  uint64_t edge = 3 * kLocalCopyFrameBytes - 100;  // a read across two frames
  CHECK(ReadString(*source, edge, 300) == ref.substr(edge, 300));
  CHECK(ReadString(*source, 0, ref.size()) == ref);
}

TEST_CASE("a changed or cut local copy is an integrity error, not wrong bytes", "[zstd]") {
  std::string ref = testing::MakeText(5 << 20, 27);
  std::string blob = testing::ZstdFrame(ref, 3);
  auto pass = Pass(blob, 2 << 20);
  pass->Drain();
  std::shared_ptr<const ScratchFile> copy = pass->LocalCopy();
  REQUIRE(copy != nullptr);
  std::string bytes = ReadString(*copy, 0, copy->Size());
  const StreamIndex& index = pass->Index();
  REQUIRE(index.spans.size() > 4);
  const SpanInfo& span = index.spans[3];
  uint64_t frame = index.points[span.point].compressed_bit / 8;
  uint64_t next = index.points[index.spans[4].point].compressed_bit / 8;
  for (uint64_t at : {frame + 2, frame + 40, (frame + next) / 2, next - 5}) {
    INFO("byte " << at << " of the copy (frame " << frame << ".." << next << ")");
    std::string changed = bytes;
    changed[at] = static_cast<char>(changed[at] ^ 0x5a);
    SourcePtr source = OpenIndexed(testing::Mem(blob), index, "changed", {},
                                   testing::Mem(changed, "changed copy"));
    CHECK(ReadString(*source, 0, 4096) == ref.substr(0, 4096));  // other frames still serve
    try {
      ReadString(*source, span.start + 10, 4096);
      FAIL("a changed frame was served");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kIntegrity);
    }
  }
  // A copy cut inside that frame: refused when opened or when the frame is read.
  auto read_cut = [&] {
    SourcePtr cut = OpenIndexed(testing::Mem(blob), index, "cut", {},
                                testing::Mem(bytes.substr(0, next - 7), "cut copy"));
    return ReadString(*cut, span.start, 4096);
  };
  CHECK_THROWS_AS(read_cut(), Error);
}

TEST_CASE("small zstd frames decode from their start", "[zstd]") {
  std::string ref = testing::MakeText(200000, 23);
  auto pass = Pass(testing::ZstdFrame(ref), 128 * 1024);
  pass->Drain();
  const StreamIndex& index = pass->Index();
  REQUIRE(index.points.size() == 1);
  CHECK_FALSE(index.points[0].in_local_copy);
  CHECK(index.spans.size() == 1);
  CHECK(ReadString(*pass->Finish(), 150000, 10000) == ref.substr(150000, 10000));
  // The same index reopens without the pass.
  SourcePtr reopened = OpenIndexed(testing::Mem(testing::ZstdFrame(ref)), index, "again");
  CHECK(ReadString(*reopened, 0, ref.size()) == ref);
}

TEST_CASE("empty zstd frames and skippable frames only", "[zstd]") {
  std::string blob =
      testing::SkippableFrame("a") + testing::ZstdFrame("") + testing::SkippableFrame("");
  auto pass = Pass(blob, 4096);
  pass->Drain();
  CHECK(pass->Position() == 0);
  SourcePtr source = pass->Finish();
  CHECK(source->Size() == 0);
  CHECK(ReadString(*source, 0, 10).empty());
  CHECK(pass->StreamDigest() == testing::Sha256Of(""));
}

TEST_CASE("corrupt and truncated zstd is an error naming the blob", "[zstd]") {
  std::string ref = testing::MakeText(300000, 24);
  std::string good = testing::ZstdFrames(ref, 100000);
  REQUIRE(ErrorOf(good).empty());
  for (size_t cut : {size_t{1}, size_t{4}, size_t{7}, good.size() / 3, good.size() / 2,
                     good.size() - 5, good.size() - 1}) {
    INFO("cut at " << cut);
    CHECK_THAT(ErrorOf(good.substr(0, cut)), Catch::Contains("test.zst"));
  }
  testing::Rng rng(10);
  for (int i = 0; i < 40; ++i) {
    std::string bad = good;
    size_t at = rng.Below(good.size());
    bad[at] = static_cast<char>(bad[at] ^ (1 + rng.Below(255)));
    INFO("flip at " << at);
    CHECK_FALSE(ErrorOf(bad).empty());
  }
  CHECK_FALSE(ErrorOf(good + "garbage!").empty());
  CHECK_FALSE(ErrorOf(good + "xy").empty());
  CHECK_FALSE(ErrorOf(good + std::string(100, '\0')).empty());
}

TEST_CASE("zstd frames that need a huge window are refused", "[zstd]") {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 30);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1);
  std::string data = testing::MakeText(100000, 25);
  std::string out(ZSTD_compressBound(data.size()) + 64, '\0');
  // Fed in two calls, the size is unknown when the frame starts, so the window stays 1 GiB.
  ZSTD_inBuffer first{data.data(), 1000, 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &o, &first, ZSTD_e_continue)));
  ZSTD_inBuffer rest{data.data() + 1000, data.size() - 1000, 0};
  REQUIRE(ZSTD_compressStream2(cctx, &o, &rest, ZSTD_e_end) == 0);
  ZSTD_freeCCtx(cctx);
  out.resize(o.pos);
  CHECK_THAT(ErrorOf(out), Catch::Contains("bad image"));
}

TEST_CASE("a zstd blob changed after indexing gives errors, never wrong bytes", "[zstd]") {
  std::string ref = testing::MakeText(1 << 20, 26);
  std::string blob = testing::ZstdFrames(ref, 60000, 1);
  testing::TempFile file(blob);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  auto pass = StartDecodePass(FileSource::Open(file.path()), Codec::kZstd, "layer", options);
  pass->Drain();
  SourcePtr source = pass->Finish();
  std::string patch = blob.substr(blob.size() / 2, 32);
  for (char& c : patch) c = static_cast<char>(c ^ 0x33);
  file.Patch(blob.size() / 2, patch);
  size_t failures = 0;
  for (const SpanInfo& span : pass->Index().spans) {
    std::string got;
    try {
      got = ReadString(*source, span.start, span.size);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kIntegrity);
      ++failures;
      continue;
    }
    REQUIRE(got == ref.substr(span.start, span.size));
  }
  CHECK(failures > 0);
}

}  // namespace imgmount
