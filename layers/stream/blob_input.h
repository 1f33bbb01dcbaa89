// Buffered forward reading of a compressed blob for the decoders, with a little look-behind for
// restarting at a bit offset, hashing every byte of the blob once, in order, as it is first read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "layers/source/byte_source.h"

namespace imgmount {

class Hasher;

/// A forward-moving window over a blob: At(offset) returns the bytes buffered from `offset`.
class BlobInput {
 public:
  /// Reads `blob` in pieces of `buffer_bytes`; feeds each byte once to `hasher` if not null.
  /// With `read_ahead` (a pass over the whole blob), asks the blob's source to fetch the next
  /// few MiB ahead of the position, so a cold blob's disk reads overlap the decoding.
  BlobInput(const ByteSource& blob, size_t buffer_bytes, Hasher* hasher = nullptr,
            bool read_ahead = false);
  ~BlobInput();
  BlobInput(const BlobInput&) = delete;
  BlobInput& operator=(const BlobInput&) = delete;

  /// The bytes buffered from `offset` on (refilling as needed); empty only at or past the end.
  std::span<const std::byte> At(uint64_t offset);

  /// Copies dst.size() bytes at `offset`; returns false if the blob ends first.
  bool Copy(uint64_t offset, std::span<std::byte> dst);

  /// Hashes every byte before `end` not hashed yet (reading it if needed).
  void HashTo(uint64_t end);

  /// Size of the blob.
  uint64_t size() const { return size_; }

  /// The blob read.
  const ByteSource& blob() const { return blob_; }

 private:
  void Fill(uint64_t offset);
  void AdviseAhead(uint64_t from);

  const ByteSource& blob_;
  uint64_t size_;
  size_t capacity_;
  std::unique_ptr<std::byte[]> buffer_;
  uint64_t buffer_offset_ = 0;
  size_t buffer_length_ = 0;
  Hasher* hasher_;
  uint64_t hashed_ = 0;
  bool read_ahead_;
  uint64_t advised_until_ = 0;
};

}  // namespace imgmount
