// One streamed GET of a registry blob from an offset to its end, for a pass over the whole blob:
// a producer thread writes what the registry sends into a bounded buffer (8 MiB) that reads at
// the stream's position consume, so indexing a layer costs one request and runs at network
// speed, and nothing of the blob is stored.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "layers/registry/registry_client.h"

namespace imgmount {

/// A blob streamed from `start` on; Read serves only the bytes at its position, in order.
class BlobStream {
 public:
  /// Starts the GET of bytes [start, size) of blob `digest`.
  BlobStream(std::shared_ptr<const RegistryClient> client, std::string digest, uint64_t start,
             uint64_t size);
  /// Stops the transfer and waits for the producer.
  ~BlobStream();
  BlobStream(const BlobStream&) = delete;
  BlobStream& operator=(const BlobStream&) = delete;

  /// Copies bytes at `offset` into dst when `offset` is the stream's position, waiting for
  /// them; returns how many were copied: fewer than dst.size() (0 included) when the transfer
  /// ended or failed first, or when `offset` is not the position.
  size_t Read(uint64_t offset, std::span<std::byte> dst);

  /// Whether the stream can still serve a read at `offset` (its position, and not finished).
  bool Serves(uint64_t offset) const;

  /// The offset of the next byte Read serves.
  uint64_t Position() const;

  /// Whether the stream is still running toward `offset` (at or after its position).
  bool Reaches(uint64_t offset) const;

 private:
  void Produce();

  std::shared_ptr<const RegistryClient> client_;
  std::string digest_;
  uint64_t size_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> pieces_;
  size_t front_used_ = 0;
  uint64_t buffered_ = 0;
  uint64_t position_;
  bool done_ = false;
  bool stop_ = false;
  std::thread producer_;
};

}  // namespace imgmount
