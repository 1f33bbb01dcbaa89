#include "layers/zstd/zstd_local_copy.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "layers/base/error.h"

namespace imgmount {

std::shared_ptr<ScratchFile> ScratchFile::Create(const std::string& dir, std::string name) {
  std::string where = dir;
  if (where.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    where = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  int fd = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string pattern = where + "/imgmount-copy-XXXXXX";
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(pattern.c_str());
  }
  if (fd < 0) ThrowSystemError("create a local copy in " + where);
  return std::shared_ptr<ScratchFile>(new ScratchFile(fd, std::move(name)));
}

ScratchFile::~ScratchFile() {
  ::close(fd_);
}

bool ScratchFile::LinkTo(const std::string& path) const {
  // An O_TMPFILE file without O_EXCL may be linked; an unlinked mkostemp file may not (ENOENT).
  std::string self = "/proc/self/fd/" + std::to_string(fd_);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

uint64_t ScratchFile::Append(std::span<const std::byte> bytes) {
  uint64_t start = size_.load(std::memory_order_relaxed);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(start + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("write " + name_);
    }
    done += static_cast<size_t>(n);
  }
  size_.store(start + done, std::memory_order_release);
  return start;
}

size_t ScratchFile::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  uint64_t size = Size();
  if (offset >= size) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), size - offset));
  size_t done = 0;
  while (done < want) {
    ssize_t n = ::pread(fd_, dst.data() + done, want - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("read " + name_);
    }
    if (n == 0) throw Error(ErrorKind::kIo, EIO, name_ + ": local copy shrank");
    done += static_cast<size_t>(n);
  }
  return done;
}

void ScratchFile::WillNeed(uint64_t offset, uint64_t length) const {
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
}

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
