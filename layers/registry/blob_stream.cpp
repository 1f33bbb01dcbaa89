#include "layers/registry/blob_stream.h"

#include <algorithm>
#include <cstring>

namespace imgmount {
namespace {

// Bytes the producer may hold ahead of the reader before it waits.
constexpr uint64_t kBufferBytes = 8 << 20;

}  // namespace

BlobStream::BlobStream(std::shared_ptr<const RegistryClient> client, std::string digest,
                       uint64_t start, uint64_t size)
    : client_(std::move(client)), digest_(std::move(digest)), size_(size), position_(start) {
  producer_ = std::thread([this, start] {
    try {
      client_->StreamBlob(
          digest_, start,
          [this](std::string_view bytes) {
            std::unique_lock lock(mu_);
            changed_.wait(lock, [this] { return stop_ || buffered_ < kBufferBytes; });
            if (stop_) return false;
            if (!bytes.empty()) {
              pieces_.emplace_back(bytes);
              buffered_ += bytes.size();
              changed_.notify_all();
            }
            return true;
          },
          [this] {
            std::lock_guard lock(mu_);
            return stop_;
          });
    } catch (...) {
      // The reader falls back to ranged reads, which retry and report the failure.
    }
    std::lock_guard lock(mu_);
    done_ = true;
    changed_.notify_all();
  });
}

BlobStream::~BlobStream() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    changed_.notify_all();
  }
  producer_.join();
}

bool BlobStream::Serves(uint64_t offset) const {
  std::lock_guard lock(mu_);
  return offset == position_ && position_ < size_ && !(done_ && buffered_ == 0);
}

uint64_t BlobStream::Position() const {
  std::lock_guard lock(mu_);
  return position_;
}

bool BlobStream::Reaches(uint64_t offset) const {
  std::lock_guard lock(mu_);
  return offset >= position_ && offset < size_ && !done_;
}

size_t BlobStream::Read(uint64_t offset, std::span<std::byte> dst) {
  std::unique_lock lock(mu_);
  if (offset != position_) return 0;
  size_t copied = 0;
  while (copied < dst.size()) {
    changed_.wait(lock, [this] { return buffered_ > 0 || done_; });
    if (buffered_ == 0) break;
    std::string& front = pieces_.front();
    size_t n = std::min(front.size() - front_used_, dst.size() - copied);
    std::memcpy(dst.data() + copied, front.data() + front_used_, n);
    copied += n;
    front_used_ += n;
    buffered_ -= n;
    position_ += n;
    if (front_used_ == front.size()) {
      pieces_.pop_front();
      front_used_ = 0;
    }
    changed_.notify_all();
  }
  return copied;
}

}  // namespace imgmount
