// Writes a tar in the pax format (the flattened root filesystem of `export`) with libarchive,
// the one place that links it, so that GNU tar and bsdtar read it without a warning.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "layers/tar/tar_header.h"

namespace imgmount {

/// A pax tar being written to a file or to standard output; throws kIo naming the output.
class TarWriter {
 public:
  /// Creates `out` ("-": standard output).
  explicit TarWriter(const std::string& out);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  /// Writes the header of `header` (its name, type flag, mode, owner, mtime, size, link
  /// target, device numbers, xattrs and sparse map; its offsets are ignored). A regular file's
  /// data (its whole logical content, holes included) then follows through WriteData; a
  /// hardlink ('1') has none.
  void WriteHeader(const TarHeader& header);

  /// Writes the next bytes of the current file's data.
  void WriteData(std::span<const std::byte> bytes);

  /// Ends the archive (its end blocks) and closes the output.
  void Finish();

 private:
  struct State;
  [[noreturn]] void Fail(const std::string& what);

  std::string out_;
  std::unique_ptr<State> state_;
};

}  // namespace imgmount
