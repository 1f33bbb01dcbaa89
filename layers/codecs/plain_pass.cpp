#include "layers/codecs/plain_pass.h"

#include <algorithm>

#include "layers/base/hasher.h"

namespace imgmount {

namespace {

// The pass over an uncompressed blob: the blob is the stream, and skipping reads nothing.
class PlainPass final : public DecodePass {
 public:
  PlainPass(SourcePtr blob, const DecodeOptions& options) : blob_(std::move(blob)) {
    if (options.hash) {
      blob_hash_ = std::make_unique<Hasher>(options.blob_algorithm);
      if (options.stream_algorithm != options.blob_algorithm) {
        stream_hash_ = std::make_unique<Hasher>(options.stream_algorithm);
      }
    }
    index_.codec = Codec::kNone;
    index_.blob_size = index_.stream_size = blob_->Size();
    CheckEnd();
  }

  size_t Read(std::span<std::byte> dst) override {
    size_t n = blob_->ReadAt(position_, dst);
    if (blob_hash_ && !skipped_) {
      blob_hash_->Update(dst.first(n));
      if (stream_hash_) stream_hash_->Update(dst.first(n));
    }
    position_ += n;
    CheckEnd();
    return n;
  }

  void Skip(uint64_t n) override {
    uint64_t step = std::min(n, index_.stream_size - position_);
    if (step > 0) skipped_ = true;
    position_ += step;
    CheckEnd();
  }

  void Drain() override { Skip(UINT64_MAX); }
  uint64_t Position() const override { return position_; }

  SourcePtr Finish() override {
    Drain();
    return blob_;
  }

  std::string BlobDigest() const override { return blob_digest_; }
  std::string StreamDigest() const override { return stream_hash_ ? stream_digest_ : blob_digest_; }
  const StreamIndex& Index() const override { return index_; }

 private:
  // The blob is the stream: one hasher serves both digests unless they name other algorithms.
  void CheckEnd() {
    if (position_ < index_.stream_size || !blob_hash_ || finished_hash_) return;
    finished_hash_ = true;
    std::string blob_digest = blob_hash_->Finish();
    std::string stream_digest = stream_hash_ ? stream_hash_->Finish() : "";
    if (skipped_) return;
    blob_digest_ = std::move(blob_digest);
    stream_digest_ = std::move(stream_digest);
  }

  SourcePtr blob_;
  std::unique_ptr<Hasher> blob_hash_;
  std::unique_ptr<Hasher> stream_hash_;
  StreamIndex index_;
  uint64_t position_ = 0;
  bool skipped_ = false;
  bool finished_hash_ = false;
  std::string blob_digest_;
  std::string stream_digest_;
};

}  // namespace

std::unique_ptr<DecodePass> StartPlainPass(SourcePtr blob, const DecodeOptions& options) {
  return std::make_unique<PlainPass>(std::move(blob), options);
}

}  // namespace imgmount
