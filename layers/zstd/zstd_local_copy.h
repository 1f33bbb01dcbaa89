// The local copy behind the zstd single-frame fallback: an anonymous temporary file that a pass
// fills with independent zstd frames and random reads then use as their compressed source.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "layers/base/error.h"
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

/// Compresses chunks into a ScratchFile as independent zstd frames, on its own thread, so that
/// the pass goes on decoding meanwhile.
class LocalCopyWriter {
 public:
  /// A writer appending to `file` at zstd `level`.
  LocalCopyWriter(std::shared_ptr<ScratchFile> file, int level);
  ~LocalCopyWriter();
  LocalCopyWriter(const LocalCopyWriter&) = delete;
  LocalCopyWriter& operator=(const LocalCopyWriter&) = delete;

  /// Queues one chunk (waiting while two are queued) and returns its number, counting from 0.
  /// Rethrows an earlier failure of the writer.
  size_t Add(std::vector<std::byte> chunk);

  /// Waits for every queued chunk and returns where each chunk's frame starts in the file.
  std::vector<uint64_t> Finish();

 private:
  void Loop();

  std::shared_ptr<ScratchFile> file_;
  int level_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> queue_;
  std::vector<uint64_t> offsets_;
  size_t added_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::optional<CapturedError> error_;
  std::thread thread_;
};

}  // namespace imgmount
