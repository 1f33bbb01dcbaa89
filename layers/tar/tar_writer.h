// Writes a tar in the pax format (the flattened root filesystem of `export`) with libarchive,
// the one place that links it, so that GNU tar and bsdtar read it without a warning.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "layers/tar/tar_header.h"

namespace imgmount {

/// One member to write.
struct TarWriteEntry {
  /// The member's name as written.
  std::string path;
  /// The stat(2) file type bits (S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO).
  uint32_t type_bits = 0;
  /// Permission bits including setuid, setgid and sticky (07777).
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  /// A regular file's logical size (its data follows through TarWriter::WriteData).
  uint64_t size = 0;
  /// A symlink's target.
  std::string symlink_target;
  /// When not empty, the member is a hardlink to this earlier name (and has no data).
  std::string hardlink_target;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  /// Extended attributes, written as SCHILY.xattr.NAME records.
  std::vector<std::pair<std::string, std::string>> xattrs;
  /// Whether the file is sparse; its data runs are `sparse_runs` (a map with no run at all is
  /// an all-hole file, and stays sparse).
  bool sparse = false;
  /// A sparse file's data runs.
  std::vector<TarSparseRun> sparse_runs;
};

/// A pax tar being written to a file or to standard output; throws kIo naming the output.
class TarWriter {
 public:
  /// Creates `out` ("-": standard output).
  explicit TarWriter(const std::string& out);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  /// Writes the header of `entry`; a regular file's data (its whole logical content, holes
  /// included) then follows through WriteData.
  void WriteHeader(const TarWriteEntry& entry);

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
