// The faithful table of contents of one layer: every tar member with the offset of its data in
// the layer's uncompressed stream, and the stream to read that data from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "layers/byte_source.h"

namespace imgmount {

/// File type of a tar member.
enum class MemberType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kHardlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
};

/// One stored run of a sparse file: `length` bytes at logical `offset`, stored back to back.
struct SparseExtent {
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// One tar member as the header describes it.
struct TarMember {
  /// Normalised path: no leading "./" or "/", no trailing "/", no empty or "." components;
  /// "" is the root directory. Never contains ".." (such members are dropped while indexing).
  std::string path;
  MemberType type = MemberType::kRegular;
  /// Permission bits including setuid, setgid and sticky (07777).
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  /// Logical size of a regular file (a sparse file's full size, holes included); 0 otherwise.
  uint64_t size = 0;
  /// Offset of the member's data in the uncompressed layer stream.
  uint64_t data_offset = 0;
  /// Symlink target as stored, or a hardlink's normalised target path.
  std::string link_target;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  /// Extended attributes (name, value) in header order, e.g. ("security.capability", ...).
  std::vector<std::pair<std::string, std::string>> xattrs;
  /// Stored runs of a sparse file in logical order; empty for a file without holes.
  std::vector<SparseExtent> sparse;
};

/// The members of one layer in tar order, plus the random-access uncompressed stream.
struct LayerIndex {
  /// Human name of the layer for messages, e.g. "layer 3 (sha256:ab12..)".
  std::string name;
  /// Members in the order they appear in the tar.
  std::vector<TarMember> members;
  /// Random-access source over the layer's uncompressed tar stream.
  SourcePtr stream;
};

}  // namespace imgmount
