// A scratch file: an anonymous file (O_TMPFILE, else mkostemp and unlinked at once) that one
// writer appends to while readers read what is already there; it can be given a name later.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "layers/source/byte_source.h"

namespace imgmount {

/// An anonymous file (O_TMPFILE, else created and unlinked at once) in a scratch directory.
class ScratchFile final : public ByteSource {
 public:
  /// Creates the file in `dir` (empty: $TMPDIR, else /tmp), named `name` in errors.
  static std::shared_ptr<ScratchFile> Create(const std::string& dir, std::string name);
  ~ScratchFile() override;
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  /// Appends bytes and returns the offset they start at; only the pass that fills it calls this.
  uint64_t Append(std::span<const std::byte> bytes);

  /// Gives the file the name `path` (a hard link through /proc/self/fd, so on the same
  /// filesystem only); false (errno set) if that is not possible.
  bool LinkTo(const std::string& path) const;

  uint64_t Size() const override { return size_.load(std::memory_order_acquire); }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  void WillNeed(uint64_t offset, uint64_t length) const override;
  std::string Describe() const override { return name_; }

 private:
  ScratchFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  int fd_;
  std::string name_;
  std::atomic<uint64_t> size_{0};
};

}  // namespace imgmount
