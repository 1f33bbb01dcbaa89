// The checks that make a union tree's tables safe to use when they come from outside the
// builder (a mapped union cache file, index/cache/union_file.h): every count, range and id in
// bounds, and the tree shaped as the builder leaves it, so that no lookup, listing or walk can
// read out of bounds, loop or serve an entry the layers do not hold.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/union/union_tree.h"

namespace imgmount {

/// Why `tables` cannot be the union of `layers` as Freeze builds it; "" if they can. Checks:
/// the root (a directory, its own parent, inode number 1); per inode its type (never a
/// hardlink), zero reserved fields, mode bits, nanoseconds, layer and member in range (only
/// a directory may have neither), its inode number (a member's number, or a directory number
/// found in directory_ids), child range inside the dirent table (empty for non-directories),
/// link count; per entry its name (inside the name table, non-empty, no '/' or NUL, not "." or
/// ".."), strictly ascending names in a directory, its inode in range and never the root; each
/// directory named exactly once, in the directory it records as its parent; member_ids and
/// directory_ids exactly the inverse maps of the inodes.
std::string UnionTablesProblem(const UnionTables& tables,
                               const std::vector<std::shared_ptr<const LayerIndex>>& layers);

}  // namespace imgmount
