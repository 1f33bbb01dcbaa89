// Inode numbers that depend only on where an entry comes from, not on when it was found: the
// same in the full union tree and in the lazy resolution that answers before the tree exists,
// and the same across mounts of the same image. They serve as FUSE node ids and st_ino.
//
//   1                                    the root
//   2 + (members of the layers below) + member index
//                                        an entry supplied by that member of that layer position
//                                        (hardlinks: their target's member)
//   bit 63 set, SHA-256 of the path      a directory no layer has an entry for (implied)
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "index/layer_index.h"

namespace imgmount {

/// The inode number of the root directory.
inline constexpr uint64_t kRootIno = 1;

/// Numbers entries by their supplying member; one per image (layer positions fixed).
class InodeNumbering {
 public:
  /// `member_counts[p]`: how many members layer position p has.
  explicit InodeNumbering(const std::vector<uint32_t>& member_counts);

  /// Number of the entry supplied by member `member` of layer position `layer`.
  uint64_t ForMember(uint32_t layer, uint32_t member) const { return 2 + base_[layer] + member; }

  /// The (layer, member) behind a member number, or false if `ino` is not one.
  bool ToMember(uint64_t ino, uint32_t& layer, uint32_t& member) const;

  /// Total number of members of all positions (the member numbers are 2 .. 2 + total - 1).
  uint64_t total() const { return base_.back(); }

 private:
  /// base_[p] = members of positions below p; base_.back() = all members.
  std::vector<uint64_t> base_;
};

/// The number of an implied directory at `path` (before collision probing): bit 63 set.
uint64_t ImpliedDirIno(std::string_view path);

/// Whether `ino` is in the implied-directory range.
inline bool IsImpliedIno(uint64_t ino) {
  return (ino >> 63) != 0;
}

}  // namespace imgmount
