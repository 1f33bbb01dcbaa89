// Passes decode on a thread of their own, ahead of the reader: bytes arrive in order whatever
// mix of reads and skips takes them, a decoder's error arrives after the good bytes before it,
// an abandoned pass stops its thread, and a pass asks the blob's source to read ahead.
#include <catch2/catch.hpp>
#include <mutex>
#include <utility>
#include <vector>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/stream/decode_pass.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

// An in-memory blob that records the ranges it is told will be needed, and the furthest byte
// read when each hint came.
class HintRecordingSource final : public ByteSource {
 public:
  explicit HintRecordingSource(std::string bytes) : inner_(testing::Mem(std::move(bytes))) {}
  uint64_t Size() const override { return inner_->Size(); }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override {
    size_t got = inner_->ReadAt(offset, dst);
    std::lock_guard lock(mu_);
    furthest_read_ = std::max(furthest_read_, offset + got);
    return got;
  }
  std::string Describe() const override { return "hinted blob"; }
  void WillNeed(uint64_t offset, uint64_t length) const override {
    std::lock_guard lock(mu_);
    hints_.push_back({offset, offset + length, furthest_read_});
  }

  // One WillNeed call: [begin, end), and how far the blob had been read then.
  struct Hint {
    uint64_t begin;
    uint64_t end;
    uint64_t read_before;
  };
  std::vector<Hint> hints() const {
    std::lock_guard lock(mu_);
    return hints_;
  }

 private:
  SourcePtr inner_;
  mutable std::mutex mu_;
  mutable uint64_t furthest_read_ = 0;
  mutable std::vector<Hint> hints_;
};

std::unique_ptr<DecodePass> Start(std::string blob, Codec codec) {
  DecodeOptions options;
  options.span_bytes = 256 * 1024;
  options.cache_bytes = 4 << 20;
  return StartDecodePass(testing::Mem(std::move(blob), "ahead.blob"), codec, "ahead.blob", options);
}

// The compressed forms every pass with a decoding thread handles.
std::vector<std::pair<Codec, std::string>> Blobs(const std::string& ref) {
  return {{Codec::kGzip, testing::GzipMember(ref)},
          {Codec::kZstd, testing::ZstdFrame(ref)},
          {Codec::kZstd, testing::ZstdFrames(ref, 300000)}};
}

}  // namespace

TEST_CASE("reads and skips of a pass decoded ahead see the stream in order", "[ahead]") {
  std::string ref = testing::MakeText(9 << 20, 31);
  for (auto& [codec, blob] : Blobs(ref)) {
    INFO(CodecName(codec) << " blob of " << blob.size() << " bytes");
    auto pass = Start(blob, codec);
    testing::Rng rng(5);
    std::string seen;
    std::vector<std::byte> buffer(3 << 20);
    uint64_t position = 0;
    while (position < ref.size()) {
      uint64_t n = 1 + rng.Below(3 << 20);
      if (rng.Below(2) == 0) {
        size_t got = pass->Read(std::span(buffer.data(), static_cast<size_t>(n)));
        REQUIRE(got == std::min<uint64_t>(n, ref.size() - position));
        REQUIRE(std::string(reinterpret_cast<const char*>(buffer.data()), got) ==
                ref.substr(position, got));
        position += got;
      } else {
        pass->Skip(n);
        position = std::min<uint64_t>(position + n, ref.size());
      }
      REQUIRE(pass->Position() == position);
    }
    REQUIRE(pass->Read(buffer) == 0);
    REQUIRE(pass->StreamDigest() == testing::Sha256Of(ref));
    REQUIRE(pass->BlobDigest() == testing::Sha256Of(blob));
    SourcePtr source = pass->Finish();
    REQUIRE(testing::ReadString(*source, 7 << 20, 5000) == ref.substr(7 << 20, 5000));
  }
}

TEST_CASE("a decoding error arrives after the good bytes before it", "[ahead]") {
  std::string ref = testing::MakeText(12 << 20, 32);
  for (auto& [codec, blob] : Blobs(ref)) {
    INFO(CodecName(codec));
    std::string bad = blob;
    size_t at = bad.size() * 9 / 10;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    auto pass = Start(bad, codec);
    std::vector<std::byte> buffer(64 * 1024);
    std::string delivered;
    std::string error;
    try {
      while (size_t got = pass->Read(buffer)) {
        delivered.append(reinterpret_cast<const char*>(buffer.data()), got);
      }
    } catch (const Error& e) {
      error = e.what();
    }
    CHECK_THAT(error, Catch::Contains("ahead.blob"));
    // Bytes decoded from before the damage are delivered, in order. (Bytes just before the
    // error may be wrong: deflate and zstd find damaged data only at a checksum.)
    REQUIRE(delivered.size() >= ref.size() / 2);
    REQUIRE(delivered.substr(0, ref.size() / 2) == ref.substr(0, ref.size() / 2));
    // The pass stays failed: later reads repeat the error rather than invent an end.
    CHECK_THROWS_AS(pass->Read(buffer), Error);
  }
}

TEST_CASE("a pass abandoned part way stops its decoding thread", "[ahead]") {
  std::string ref = testing::MakeText(16 << 20, 33);
  for (auto& [codec, blob] : Blobs(ref)) {
    INFO(CodecName(codec));
    for (int round = 0; round < 4; ++round) {
      auto pass = Start(blob, codec);
      std::vector<std::byte> buffer(1000 * (round + 1));
      REQUIRE(pass->Read(buffer) == buffer.size());
      REQUIRE(std::string(reinterpret_cast<const char*>(buffer.data()), buffer.size()) ==
              ref.substr(0, buffer.size()));
      // Destroyed while its thread is ahead (or blocked on full chunks): must return, and the
      // sanitizer builds see neither a leak nor a race.
    }
    auto never_read = Start(blob, codec);
    REQUIRE(never_read->Position() == 0);
  }
}

TEST_CASE("a pass asks the blob's source to read ahead of its position", "[ahead]") {
  std::string ref = testing::MakeText(40 << 20, 34);
  std::string blob = testing::ZstdFrames(ref, 1 << 20, 1);
  auto hinted = std::make_shared<HintRecordingSource>(blob);
  DecodeOptions options;
  auto pass = StartDecodePass(hinted, Codec::kZstd, "hinted", options);
  pass->Drain();
  REQUIRE(pass->BlobDigest() == testing::Sha256Of(blob));
  auto hints = hinted->hints();
  INFO("blob of " << blob.size() << " bytes");
  REQUIRE(hints.size() >= 2);  // renewed on the way, not only asked once
  // Back to back from the start to the end of the blob, each asked for before it was read.
  uint64_t covered = 0;
  for (const auto& hint : hints) {
    INFO("hint [" << hint.begin << ", " << hint.end << ") after reading " << hint.read_before);
    REQUIRE(hint.begin == covered);
    REQUIRE(hint.end > hint.begin);
    REQUIRE(hint.read_before <= hint.begin);
    covered = hint.end;
  }
  REQUIRE(covered == blob.size());

  // Random access (the span decoders) gets no read-ahead beyond the spans it decodes.
  std::string gz = testing::GzipMember(ref.substr(0, 4 << 20));
  auto quiet = std::make_shared<HintRecordingSource>(gz);
  options.span_bytes = 256 * 1024;
  auto gz_pass = StartDecodePass(quiet, Codec::kGzip, "quiet", options);
  SourcePtr source = gz_pass->Finish();
  size_t after_pass = quiet->hints().size();
  REQUIRE(testing::ReadString(*source, 3 << 20, 100) == ref.substr(3 << 20, 100));
  for (size_t i = after_pass; i < quiet->hints().size(); ++i) {
    REQUIRE(quiet->hints()[i].end <= gz.size());
    REQUIRE(quiet->hints()[i].end - quiet->hints()[i].begin <= gz.size() / 2);
  }
}

}  // namespace imgmount
