// The local copy behind the zstd single-frame fallback: an anonymous temporary file that a pass
// fills with independent zstd frames and random reads then use as their compressed source.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "layers/base/error.h"
#include "layers/source/scratch_file.h"

namespace imgmount {

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
