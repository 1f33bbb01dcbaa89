// The part of a decoding pass that every codec shares: an output buffer that the codec refills
// (Produce) and that Read and Skip drain, the stream position, and the digests found at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "layers/decode_pass.h"

namespace imgmount {

/// A DecodePass whose codec produces output in chunks into a shared buffer.
class BufferedPass : public DecodePass {
 public:
  size_t Read(std::span<std::byte> dst) override;
  void Skip(uint64_t n) override;
  void Drain() override { Skip(UINT64_MAX); }
  uint64_t Position() const override { return position_; }
  std::string BlobDigest() const override { return blob_digest_; }
  std::string StreamDigest() const override { return stream_digest_; }

 protected:
  /// Size of the output buffer a codec fills per Produce() call.
  static constexpr size_t kOutBytes = 1 << 20;

  BufferedPass() : out_(std::make_unique_for_overwrite<std::byte[]>(kOutBytes)) {}

  /// Refills out_[0, out_len_) with the next output, or sets ended_ at the end of the stream.
  virtual void Produce() = 0;

  std::unique_ptr<std::byte[]> out_;
  size_t out_pos_ = 0;
  size_t out_len_ = 0;
  bool ended_ = false;
  std::string blob_digest_;
  std::string stream_digest_;

 private:
  uint64_t position_ = 0;
};

}  // namespace imgmount
