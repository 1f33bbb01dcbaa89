// One tar member as Go's archive/tar reports it (and so docker, containerd, podman and umoci see
// it), after its extension headers (PAX 'x', GNU 'L'/'K', sparse maps) have been applied. This is
// the project's own value, so nothing past layers/ depends on the library that reads tar.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace imgmount {

/// One stored run of a sparse file: `length` bytes of data at logical `offset`.
struct TarSparseRun {
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// What a member is, from its type flag.
enum class TarEntryKind {
  kRegular,      ///< '0' (and '\0' without a trailing slash), '7' contiguous, 'S' GNU sparse
  kHardlink,     ///< '1'
  kSymlink,      ///< '2'
  kCharDevice,   ///< '3'
  kBlockDevice,  ///< '4'
  kDirectory,    ///< '5' (and '\0' with a trailing slash), 'D' GNU dump directory
  kFifo,         ///< '6'
  kOther,        ///< anything else (GNU 'V' volume label, 'M', 'N', vendor types): not a file
};

/// The kind of a Go type flag (after '\0' was promoted to '0' or '5').
TarEntryKind KindOfTypeflag(char typeflag);

/// A member's header with every extension applied.
struct TarHeader {
  /// The type flag; '\0' is promoted to '5' for a name with a trailing slash, else '0' (as Go).
  char typeflag = '0';
  /// The member name as stored (PAX path, GNU long name or ustar prefix/name), not normalised.
  std::string name;
  /// Symlink or hardlink target as stored.
  std::string linkname;
  /// The header's mode field (permission bits and possibly file type bits).
  int64_t mode = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime_sec = 0;
  /// Nanoseconds of the modification time, in [0, 1e9).
  uint32_t mtime_nsec = 0;
  /// The logical size: a sparse file's real size, holes included.
  int64_t size = 0;
  int64_t dev_major = 0;
  int64_t dev_minor = 0;
  /// Extended attributes from SCHILY.xattr.NAME records with non-empty values, sorted by name.
  std::vector<std::pair<std::string, std::string>> xattrs;
  /// Whether the member is a sparse file (its map may have no data run at all).
  bool sparse = false;
  /// A sparse file's data runs in order, without empty runs, adjacent runs joined.
  std::vector<TarSparseRun> sparse_runs;
  /// Offset in the stream of the member's first header block (its first extension header).
  uint64_t header_offset = 0;
  /// Offset in the stream of the member's data (after a PAX 1.0 sparse map).
  uint64_t data_offset = 0;
  /// Bytes of data stored at data_offset (a sparse file's runs back to back; 0 for links etc.).
  uint64_t stored_size = 0;

  /// The kind of member.
  TarEntryKind kind() const { return KindOfTypeflag(typeflag); }
};

}  // namespace imgmount
