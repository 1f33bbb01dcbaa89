// Path resolution inside the union view the way a process chrooted into the image would see it:
// symlinks are followed (absolute ones from the image root), at most 40 of them.
#pragma once

#include <cstdint>
#include <string_view>

#include "index/union/union_tree.h"

namespace imgmount {

/// Resolves `path` from the root, following symlinks in every component (and the last one when
/// `follow_last`). Throws kNotFound (ENOENT/ENOTDIR) or ELOOP after 40 links.
uint32_t ResolveFollowing(const UnionTree& tree, std::string_view path, bool follow_last);

}  // namespace imgmount
