// Inode numbers that depend only on where an entry comes from, not on when it was found: the
// same in the full union tree and in the lazy resolution that answers before the tree exists
// (which may not know the lower layers yet), and the same across mounts of the same image. They
// serve as FUSE node ids and st_ino.
//
//   1                                    the root
//   bit 63 set, SHA-256 of the path      any other directory (explicit or implied): a directory
//                                        has one name, and which layer supplies its attributes
//                                        may be decided only once the lower layers are indexed
//   (layer position + 1) << 32 | member  a non-directory supplied by that member of that layer
//                                        (hardlinks: their target's member)
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "index/layer/layer_index.h"

namespace imgmount {

/// The inode number of the root directory.
inline constexpr uint64_t kRootIno = 1;

/// Number of the non-directory supplied by member `member` of layer position `layer`.
inline uint64_t MemberIno(uint32_t layer, uint32_t member) {
  return ((uint64_t{layer} + 1) << 32) | member;
}

/// The layer position and member behind a member number, or false if `ino` is not one.
bool InoToMember(uint64_t ino, uint32_t& layer, uint32_t& member);

/// The number of the directory at `path` (before collision probing): bit 63 set.
uint64_t DirectoryIno(std::string_view path);

/// Whether `ino` is in the directory range.
inline bool IsDirectoryIno(uint64_t ino) {
  return (ino >> 63) != 0;
}

}  // namespace imgmount
