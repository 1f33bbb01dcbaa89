#include "layers/stream/buffered_pass.h"

#include <algorithm>
#include <cstring>

namespace imgmount {

namespace {

// Chunks in flight between the decoding thread and the reader: enough to ride over the
// reader's bursts (a large member skipped at once), few enough to stay small in memory.
constexpr size_t kChunksInFlight = 4;

}  // namespace

BufferedPass::~BufferedPass() {
  StopDecoding();
}

BufferedPass::BufferedPass(const DecodeOptions& options) {
  if (!options.hash) return;
  blob_hash_ = std::make_unique<BackgroundHasher>(options.blob_algorithm);
  stream_hash_ = std::make_unique<BackgroundHasher>(options.stream_algorithm);
}

void BufferedPass::FinishBlobDigest(BlobInput& input) {
  if (!blob_hash_) return;
  input.HashTo(input.size());
  blob_digest_ = blob_hash_->Finish();
}

void BufferedPass::StopDecoding() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BufferedPass::DecodeLoop() {
  try {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !free_.empty(); });
        if (stopping_) return;
        out_ = std::move(free_.back());
        free_.pop_back();
      }
      out_len_ = 0;
      Produce();
      std::lock_guard lock(mu_);
      ready_.push_back(Chunk{std::move(out_), out_len_, ended_});
      decoder_done_ = ended_;
      cv_.notify_all();
      if (decoder_done_) return;
    }
  } catch (...) {
    std::lock_guard lock(mu_);
    error_ = std::current_exception();
    decoder_done_ = true;
    cv_.notify_all();
  }
}

bool BufferedPass::NextChunk() {
  if (reader_ended_) {
    if (error_) std::rethrow_exception(error_);
    return false;
  }
  if (!thread_.joinable()) {
    // Started on first use, when the derived class is complete.
    for (size_t i = 0; i < kChunksInFlight; ++i) {
      free_.push_back(std::make_unique_for_overwrite<std::byte[]>(kOutBytes));
    }
    thread_ = std::thread([this] { DecodeLoop(); });
  }
  std::unique_lock lock(mu_);
  if (current_.bytes) {
    free_.push_back(std::move(current_.bytes));
    cv_.notify_all();
  }
  current_ = Chunk{};
  current_pos_ = 0;
  cv_.wait(lock, [&] { return !ready_.empty() || decoder_done_; });
  if (!ready_.empty()) {
    current_ = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    if (stream_hash_) {
      stream_hash_->Update(std::span(current_.bytes.get(), current_.size));
      if (current_.last) stream_digest_ = stream_hash_->Finish();
    }
    return true;
  }
  reader_ended_ = true;
  lock.unlock();
  thread_.join();
  free_.clear();
  if (error_) std::rethrow_exception(error_);
  return false;
}

size_t BufferedPass::Read(std::span<std::byte> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    if (current_pos_ == current_.size) {
      if (!NextChunk()) break;
      continue;
    }
    size_t n = std::min(dst.size() - done, current_.size - current_pos_);
    std::memcpy(dst.data() + done, current_.bytes.get() + current_pos_, n);
    current_pos_ += n;
    done += n;
  }
  position_ += done;
  return done;
}

void BufferedPass::Skip(uint64_t n) {
  while (n > 0) {
    if (current_pos_ == current_.size) {
      if (!NextChunk()) break;
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, current_.size - current_pos_));
    current_pos_ += take;
    position_ += take;
    n -= take;
  }
}

}  // namespace imgmount
