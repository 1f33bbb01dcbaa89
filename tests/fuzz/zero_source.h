// A byte source of any size that reads as zeros without holding memory: the stand-in blob and
// local copy behind an index file loaded by the index-file fuzz target.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "layers/source/byte_source.h"

namespace imgmount::fuzz {

/// `size` zero bytes.
class ZeroSource final : public ByteSource {
 public:
  /// A source of `size` zeros named `name`.
  ZeroSource(uint64_t size, std::string name) : size_(size), name_(std::move(name)) {}

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override {
    if (offset >= size_) return 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
    std::memset(dst.data(), 0, n);
    return n;
  }
  std::string Describe() const override { return name_; }

 private:
  uint64_t size_;
  std::string name_;
};

}  // namespace imgmount::fuzz
