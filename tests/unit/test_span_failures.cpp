// What a compressed stream makes of a failure to read its blob: only bytes that decode wrongly
// are "changed since indexing" (and dropped from the blob's caches); a failure to get the bytes
// at all (I/O, a registry refusing access or no longer having the blob) passes through as it is.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/stream/decode_pass.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

// A blob whose reads fail with a chosen kind of error once `failing` is set; counts Forget calls.
class FailingBlob final : public ByteSource {
 public:
  explicit FailingBlob(SourcePtr inner) : inner_(std::move(inner)) {}

  uint64_t Size() const override { return inner_->Size(); }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override {
    if (failing) throw Error(kind, EIO, "test blob: read fails");
    return inner_->ReadAt(offset, dst);
  }
  std::string Describe() const override { return "test blob"; }
  void Forget(uint64_t, uint64_t) const override { ++forgets; }

  std::atomic<bool> failing{false};
  ErrorKind kind = ErrorKind::kIo;
  mutable std::atomic<int> forgets{0};

 private:
  SourcePtr inner_;
};

}  // namespace

TEST_CASE("only bytes that decode wrongly count as changed since indexing", "[cache]") {
  std::string ref = testing::MakeText(256 * 1024, 41);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  std::string gz = testing::GzipMember(ref, {.level = 1});
  auto pass = StartDecodePass(testing::Mem(gz), Codec::kGzip, "blob", options);
  pass->Drain();
  auto kind = GENERATE(ErrorKind::kNotFound, ErrorKind::kUnauthorized, ErrorKind::kIo,
                       ErrorKind::kInternal, ErrorKind::kBadImage, ErrorKind::kIntegrity);
  INFO("kind: " << ErrorKindName(kind));
  auto blob = std::make_shared<FailingBlob>(testing::Mem(gz));
  SourcePtr source = OpenIndexed(blob, pass->Index(), "layer", options);
  blob->kind = kind;
  blob->failing = true;
  bool changed = kind == ErrorKind::kBadImage || kind == ErrorKind::kIntegrity;
  try {
    testing::ReadString(*source, 100000, 10);
    FAIL("the read succeeded");
  } catch (const Error& e) {
    CHECK(e.kind() == (changed ? ErrorKind::kIntegrity : kind));
    CHECK((std::string(e.what()).find("changed since indexing") != std::string::npos) == changed);
  }
  CHECK((blob->forgets > 0) == changed);
  // Once the blob reads again, so does the stream.
  blob->failing = false;
  CHECK(testing::ReadString(*source, 100000, 10) == ref.substr(100000, 10));
}

}  // namespace imgmount
