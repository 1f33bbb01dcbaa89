#include "layers/tar_walker.h"

#include <archive.h>
#include <archive_entry.h>

#include "layers/decode_pass.h"
#include "layers/error.h"

namespace imgmount {

TarWalker::TarWalker(DecodePass& pass, std::string name)
    : pass_(pass), name_(std::move(name)), buffer_(256 * 1024) {
  archive_ = archive_read_new();
  if (archive_ == nullptr) throw Error(ErrorKind::kInternal, ENOMEM, "archive_read_new failed");
  archive_read_support_format_tar(archive_);
  archive_read_set_read_callback(archive_, &TarWalker::ReadCallback);
  archive_read_set_skip_callback(archive_, &TarWalker::SkipCallback);
  archive_read_set_callback_data(archive_, this);
  if (archive_read_open1(archive_) != ARCHIVE_OK) {
    std::string why = archive_error_string(archive_) ? archive_error_string(archive_) : "?";
    archive_read_free(archive_);
    archive_ = nullptr;
    // The decoder's own error (e.g. a gzip CRC mismatch in a small blob) keeps its class.
    if (!callback_error_.empty())
      throw Error(callback_error_kind_, callback_errno_, callback_error_);
    ThrowBadImage(name_ + ": not a tar archive: " + why);
  }
}

TarWalker::~TarWalker() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

long TarWalker::ReadCallback(archive* a, void* self, const void** buffer) {
  auto* walker = static_cast<TarWalker*>(self);
  try {
    size_t n = walker->pass_.Read(walker->buffer_);
    if (n == 0) walker->end_seen_ = true;
    *buffer = walker->buffer_.data();
    return static_cast<long>(n);
  } catch (const std::exception& e) {
    walker->KeepError(e);
    archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
}

int64_t TarWalker::SkipCallback(archive* a, void* self, int64_t request) {
  auto* walker = static_cast<TarWalker*>(self);
  try {
    uint64_t before = walker->pass_.Position();
    walker->pass_.Skip(static_cast<uint64_t>(request));
    uint64_t skipped = walker->pass_.Position() - before;
    if (skipped < static_cast<uint64_t>(request)) walker->end_seen_ = true;
    return static_cast<int64_t>(skipped);
  } catch (const std::exception& e) {
    walker->KeepError(e);
    archive_set_error(a, EIO, "%s", e.what());
    // Not -1: libarchive 3.6 adds a skipper's negative result to what is left to skip and asks
    // again, forever. A skip of 0 bytes ends the skip; Next() then reports callback_error_.
    return 0;
  }
}

void TarWalker::KeepError(const std::exception& e) {
  if (!callback_error_.empty()) return;
  callback_error_ = e.what();
  if (const auto* error = dynamic_cast<const Error*>(&e)) {
    callback_error_kind_ = error->kind();
    callback_errno_ = error->errno_value();
  } else {
    callback_error_kind_ = ErrorKind::kBadImage;
    callback_errno_ = EIO;
  }
}

uint64_t StoredDataSize(archive_entry* entry) {
  la_int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
  if (size <= 0) return 0;
  if (archive_entry_sparse_reset(entry) > 0) {
    uint64_t stored = 0;
    la_int64_t offset = 0;
    la_int64_t length = 0;
    while (archive_entry_sparse_next(entry, &offset, &length) == ARCHIVE_OK) {
      if (length > 0) stored += static_cast<uint64_t>(length);
    }
    return stored;
  }
  mode_t type = archive_entry_filetype(entry);
  if (type != AE_IFREG && type != 0) return 0;
  return static_cast<uint64_t>(size);
}

archive_entry* TarWalker::Next() {
  if (done_) return nullptr;
  archive_entry* entry = nullptr;
  int r = archive_read_next_header(archive_, &entry);
  if (r == ARCHIVE_EOF) {
    done_ = true;
    return nullptr;
  }
  if (!callback_error_.empty()) {
    // The decoder's own error (corrupt gzip, I/O) is the real cause; keep its message and kind.
    throw Error(callback_error_kind_, callback_errno_, callback_error_);
  }
  // ARCHIVE_RETRY (-10) is greater than ARCHIVE_WARN (-20) but means a damaged header.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    const char* why = archive_error_string(archive_);
    std::string message = why ? why : "damaged tar header";
    uint64_t at = static_cast<uint64_t>(archive_filter_bytes(archive_, 0));
    // A tar that simply stops after a complete member (umoci writes no end blocks and may omit
    // the last padding) ends cleanly; one that stops inside a member's data is truncated.
    uint64_t end = pass_.Position();
    if (end_seen_ && message.find("Truncated") != std::string::npos && end >= data_end_ &&
        end - data_end_ < 512) {
      done_ = true;
      return nullptr;
    }
    ThrowBadImage(name_ + ": damaged tar header near offset " + std::to_string(at) + ": " +
                  message);
  }
  data_offset_ = static_cast<uint64_t>(archive_filter_bytes(archive_, 0));
  data_end_ = data_offset_ + StoredDataSize(entry);
  ++count_;
  return entry;
}

}  // namespace imgmount
