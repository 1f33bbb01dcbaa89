#include "layers/source/basic_sources.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"

namespace imgmount {

void ReadExactly(const ByteSource& source, uint64_t offset, std::span<std::byte> dst) {
  size_t got = source.ReadAt(offset, dst);
  if (got != dst.size()) {
    ThrowBadImage(source.Describe() + ": unexpected end of data at offset " +
                  std::to_string(offset + got) + " (wanted " + std::to_string(dst.size()) +
                  " bytes at " + std::to_string(offset) + ")");
  }
}

std::string ReadAll(const ByteSource& source, uint64_t limit) {
  uint64_t size = source.Size();
  if (size > limit) {
    ThrowBadImage(source.Describe() + ": " + std::to_string(size) +
                  " bytes, more than the limit of " + std::to_string(limit));
  }
  std::string out(size, '\0');
  ReadExactly(source, 0, std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

std::shared_ptr<const FileSource> FileSource::Open(const std::string& path, int dir_fd) {
  int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      throw Error(ErrorKind::kBadImage, EIO,
                  path + ": is a symbolic link where a file was expected");
    }
    ThrowSystemError("open " + path);
  }
  return FromFd(fd, path);
}

std::shared_ptr<const FileSource> FileSource::FromFd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    ThrowSystemError("stat " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* what = S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
    throw Error(ErrorKind::kBadImage, EIO, path + ": is " + std::string(what));
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return std::shared_ptr<const FileSource>(new FileSource(fd, path, st));
}

FileSource::~FileSource() {
  ::close(fd_);
}

size_t FileSource::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
  size_t done = 0;
  while (done < want) {
    ssize_t n = ::pread(fd_, dst.data() + done, want - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("read " + path_ + " at " + std::to_string(offset + done));
    }
    if (n == 0) {
      throw Error(
          ErrorKind::kIntegrity, EIO,
          path_ + ": file shrank while in use (end at " + std::to_string(offset + done) + ")");
    }
    done += static_cast<size_t>(n);
  }
  CheckUnchanged();
  return done;
}

void FileSource::WillNeed(uint64_t offset, uint64_t length) const {
  if (offset >= size_) return;
  length = std::min(length, size_ - offset);
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
}

FileSource::FileSource(int fd, std::string path, const struct stat& st)
    : fd_(fd),
      path_(std::move(path)),
      size_(static_cast<uint64_t>(st.st_size)),
      dev_(st.st_dev),
      ino_(st.st_ino),
      mtime_sec_(st.st_mtim.tv_sec),
      mtime_nsec_(st.st_mtim.tv_nsec) {}

void FileSource::CheckUnchanged() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) ThrowSystemError("stat " + path_);
  if (static_cast<uint64_t>(st.st_size) != size_ || st.st_mtim.tv_sec != mtime_sec_ ||
      st.st_mtim.tv_nsec != mtime_nsec_) {
    throw Error(ErrorKind::kIntegrity, EIO,
                path_ +
                    ": changed on disk while in use (size or modification time differs); "
                    "its data is no longer served: unmount and mount it again");
  }
}

SliceSource::SliceSource(SourcePtr base, uint64_t offset, uint64_t size, std::string name)
    : base_(std::move(base)), offset_(offset), size_(size), name_(std::move(name)) {
  uint64_t base_size = base_->Size();
  if (offset > base_size || size > base_size - offset) {
    ThrowBadImage(name_ + ": extends past the end of " + base_->Describe() + " (" +
                  std::to_string(offset) + "+" + std::to_string(size) + " > " +
                  std::to_string(base_size) + ")");
  }
}

size_t SliceSource::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
  return base_->ReadAt(offset_ + offset, dst.first(want));
}

void SliceSource::WillNeed(uint64_t offset, uint64_t length) const {
  if (offset >= size_) return;
  base_->WillNeed(offset_ + offset, std::min(length, size_ - offset));
}

void SliceSource::Forget(uint64_t offset, uint64_t length) const {
  if (offset >= size_) return;
  base_->Forget(offset_ + offset, std::min(length, size_ - offset));
}

size_t MemorySource::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= bytes_.size()) return 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(dst.size(), bytes_.size() - offset));
  std::memcpy(dst.data(), bytes_.data() + offset, n);
  return n;
}

}  // namespace imgmount
