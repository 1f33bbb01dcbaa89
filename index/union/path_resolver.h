// Path resolution inside the union view the way a process chrooted into the image would see it:
// symlinks are followed (absolute ones from the image root), at most 40 of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/union/union_tree.h"

namespace imgmount {

/// A symlink followed on the way to a path: its absolute path in the image and its target.
struct FollowedLink {
  std::string path;
  std::string target;
};

/// Where a path led: the inode, its absolute path with no symlink or "." and ".." left in it
/// ("/" for the root), and the symlinks followed to get there, in order.
struct ResolvedPath {
  /// False when a component was missing (only without `strict`): `inode` is then meaningless.
  bool found = true;
  uint32_t inode = 0;
  std::string path;
  std::vector<FollowedLink> links;
};

/// Resolves `path` from the root, following symlinks in every component (and the last one when
/// `follow_last`), and says how. Throws kNotFound (ENOENT/ENOTDIR) or ELOOP after 40 links; or,
/// unless `strict`, answers found = false for a missing component, with the path the way
/// realpath(3) without a check of existence would: the rest of `path` joined lexically.
ResolvedPath ResolveTraced(const UnionTree& tree, std::string_view path, bool follow_last,
                           bool strict = true);

/// ResolveTraced's inode only.
uint32_t ResolveFollowing(const UnionTree& tree, std::string_view path, bool follow_last);

}  // namespace imgmount
