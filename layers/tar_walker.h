// Walks the members of a tar stream with libarchive (tar format only, no filters), reporting the
// exact offset of each member's data in the stream. Data is skipped, never read, by the walker.
#pragma once

#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "layers/error.h"

struct archive;
struct archive_entry;

namespace imgmount {

class DecodePass;

/// Bytes a member's data occupies in the stream (a sparse file's stored runs; 0 for links etc.).
uint64_t StoredDataSize(archive_entry* entry);

/// Iterates the members of the tar read through a DecodePass.
class TarWalker {
 public:
  /// Walks the tar coming out of `pass`; `name` names the stream in errors.
  TarWalker(DecodePass& pass, std::string name);
  ~TarWalker();
  TarWalker(const TarWalker&) = delete;
  TarWalker& operator=(const TarWalker&) = delete;

  /// The next member, or nullptr at the end of the archive. A tar that just ends without
  /// end-of-archive blocks is accepted. Throws kBadImage on a damaged header.
  archive_entry* Next();

  /// Offset in the uncompressed stream of the current member's data.
  uint64_t data_offset() const { return data_offset_; }

  /// Number of members returned so far.
  uint64_t count() const { return count_; }

 private:
  static long ReadCallback(archive* a, void* self, const void** buffer);
  static int64_t SkipCallback(archive* a, void* self, int64_t request);
  // Remembers the first failure of a callback: its message, class and errno.
  void KeepError(const std::exception& e);

  DecodePass& pass_;
  std::string name_;
  archive* archive_ = nullptr;
  std::vector<std::byte> buffer_;
  uint64_t data_offset_ = 0;
  uint64_t data_end_ = 0;
  uint64_t count_ = 0;
  std::string callback_error_;
  ErrorKind callback_error_kind_ = ErrorKind::kBadImage;
  int callback_errno_ = EIO;
  bool end_seen_ = false;
  bool done_ = false;
};

}  // namespace imgmount
