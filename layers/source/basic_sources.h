// The plain byte sources: a file read with pread, a slice of another source, and bytes in memory.
#pragma once

#include <sys/stat.h>

#include <string>

#include "layers/source/byte_source.h"

namespace imgmount {

/// A regular file read with pread; opened with O_NOFOLLOW|O_NONBLOCK and required to be a
/// regular file, so a fifo or device posing as a blob cannot hang or flood the reader. Every read
/// checks (one fstat) that the file still has the size and modification time it was opened
/// with, so a file rewritten underneath gives EIO, never bytes other than the indexed ones.
class FileSource final : public ByteSource {
 public:
  /// Opens `path` (relative paths resolve against `dir_fd`, AT_FDCWD by default). Throws Error.
  static std::shared_ptr<const FileSource> Open(const std::string& path, int dir_fd = -100);
  /// Takes ownership of an open descriptor, which must be a regular file (else closed + Error).
  static std::shared_ptr<const FileSource> FromFd(int fd, const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override { return path_; }
  void WillNeed(uint64_t offset, uint64_t length) const override;

  /// The device and inode of the open file, identifying it across renames.
  std::pair<uint64_t, uint64_t> Identity() const { return {dev_, ino_}; }

 private:
  FileSource(int fd, std::string path, const struct stat& st);
  void CheckUnchanged() const;
  int fd_;
  std::string path_;
  uint64_t size_;
  uint64_t dev_;
  uint64_t ino_;
  int64_t mtime_sec_;
  int64_t mtime_nsec_;
};

/// A window [offset, offset+size) of another source, e.g. a blob inside an outer tar.
class SliceSource final : public ByteSource {
 public:
  /// Creates the slice; throws kBadImage if the window does not fit inside `base`.
  SliceSource(SourcePtr base, uint64_t offset, uint64_t size, std::string name);

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override { return name_; }
  void WillNeed(uint64_t offset, uint64_t length) const override;
  void Forget(uint64_t offset, uint64_t length) const override;

 private:
  SourcePtr base_;
  uint64_t offset_;
  uint64_t size_;
  std::string name_;
};

/// Bytes held in memory (small JSON documents, tests).
class MemorySource final : public ByteSource {
 public:
  /// Wraps a copy of `bytes`, named `name` in errors.
  MemorySource(std::string bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}

  uint64_t Size() const override { return bytes_.size(); }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override { return name_; }

 private:
  std::string bytes_;
  std::string name_;
};

}  // namespace imgmount
