#include "layers/zstd/zstd_local_copy.h"

#include <zstd.h>

#include <cerrno>

#include "layers/base/error.h"

namespace imgmount {

namespace {

constexpr size_t kMaxQueuedChunks = 2;

struct FreeCctx {
  void operator()(ZSTD_CCtx* cctx) const { ZSTD_freeCCtx(cctx); }
};

}  // namespace

LocalCopyWriter::LocalCopyWriter(std::shared_ptr<ScratchFile> file, int level)
    : file_(std::move(file)), level_(level), thread_([this] { Loop(); }) {}

LocalCopyWriter::~LocalCopyWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t LocalCopyWriter::Add(std::vector<std::byte> chunk) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.size() < kMaxQueuedChunks || error_; });
  if (error_) error_->Throw();
  queue_.push_back(std::move(chunk));
  cv_.notify_all();
  return added_++;
}

std::vector<uint64_t> LocalCopyWriter::Finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return (queue_.empty() && !busy_) || error_; });
  if (error_) error_->Throw();
  return offsets_;
}

void LocalCopyWriter::Loop() {
  std::unique_ptr<ZSTD_CCtx, FreeCctx> cctx(ZSTD_createCCtx());
  std::vector<std::byte> packed;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::vector<std::byte> chunk = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      if (!cctx) throw Error(ErrorKind::kInternal, ENOMEM, "zstd: cannot create an encoder");
      packed.resize(ZSTD_compressBound(chunk.size()));
      size_t n = ZSTD_compressCCtx(cctx.get(), packed.data(), packed.size(), chunk.data(),
                                   chunk.size(), level_);
      if (ZSTD_isError(n)) {
        throw Error(ErrorKind::kInternal, EIO,
                    file_->Describe() + ": zstd: " + ZSTD_getErrorName(n));
      }
      uint64_t offset = file_->Append(std::span(packed.data(), n));
      lock.lock();
      offsets_.push_back(offset);
    } catch (...) {
      if (!lock.owns_lock()) lock.lock();
      error_ = CapturedError::FromCurrent();
    }
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace imgmount
