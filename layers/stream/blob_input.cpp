#include "layers/stream/blob_input.h"

#include <algorithm>
#include <cstring>

#include "layers/base/hasher.h"

namespace imgmount {

namespace {

// Bytes kept before a refill position, so a decoder restarting a few bytes back (ISA-L holds up
// to 8 bytes of look-ahead) does not have to re-read a whole buffer.
constexpr uint64_t kLookBehind = 64;

// How far ahead of the position a read-ahead input keeps the blob requested from the kernel;
// renewed when less than half of it is left.
constexpr uint64_t kReadAhead = 16 << 20;

}  // namespace

BlobInput::BlobInput(const ByteSource& blob, size_t buffer_bytes, Hasher* hasher, bool read_ahead)
    : blob_(blob),
      size_(blob.Size()),
      capacity_(std::max<size_t>(buffer_bytes, 4 * kLookBehind)),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(capacity_)),
      hasher_(hasher),
      read_ahead_(read_ahead) {}

BlobInput::~BlobInput() = default;

std::span<const std::byte> BlobInput::At(uint64_t offset) {
  if (offset >= size_) return {};
  if (offset < buffer_offset_ || offset >= buffer_offset_ + buffer_length_) Fill(offset);
  size_t skip = static_cast<size_t>(offset - buffer_offset_);
  return {buffer_.get() + skip, buffer_length_ - skip};
}

void BlobInput::Fill(uint64_t offset) {
  uint64_t start = offset - std::min(offset, kLookBehind);
  uint64_t end = buffer_offset_ + buffer_length_;
  size_t kept = 0;
  if (buffer_length_ > 0 && start >= buffer_offset_ && start < end) {
    kept = static_cast<size_t>(end - start);
    std::memmove(buffer_.get(), buffer_.get() + (start - buffer_offset_), kept);
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(capacity_ - kept, size_ - (start + kept)));
  if (hasher_ != nullptr && hashed_ < start + kept) HashTo(start + kept);
  if (read_ahead_) AdviseAhead(start + kept);
  size_t got = blob_.ReadAt(start + kept, std::span(buffer_.get() + kept, want));
  buffer_offset_ = start;
  buffer_length_ = kept + got;
  if (hasher_ != nullptr && hashed_ >= start && hashed_ < start + buffer_length_) {
    size_t from = static_cast<size_t>(hashed_ - start);
    hasher_->Update(std::span(buffer_.get() + from, buffer_length_ - from));
    hashed_ = start + buffer_length_;
  }
}

void BlobInput::AdviseAhead(uint64_t from) {
  if (from + kReadAhead / 2 < advised_until_) return;
  uint64_t begin = std::max(from, advised_until_);
  uint64_t end = std::min(size_, from + kReadAhead);
  if (end > begin) blob_.WillNeed(begin, end - begin);
  advised_until_ = end;
}

bool BlobInput::Copy(uint64_t offset, std::span<std::byte> dst) {
  while (!dst.empty()) {
    auto avail = At(offset);
    if (avail.empty()) return false;
    size_t n = std::min(avail.size(), dst.size());
    std::memcpy(dst.data(), avail.data(), n);
    dst = dst.subspan(n);
    offset += n;
  }
  return true;
}

void BlobInput::HashTo(uint64_t end) {
  if (hasher_ == nullptr) return;
  end = std::min(end, size_);
  std::byte piece[64 * 1024];
  while (hashed_ < end) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(piece), end - hashed_));
    size_t got = blob_.ReadAt(hashed_, std::span(piece, n));
    if (got == 0) break;
    hasher_->Update(std::span(piece, got));
    hashed_ += got;
  }
}

}  // namespace imgmount
