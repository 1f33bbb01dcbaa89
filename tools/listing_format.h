// Text forms of union entries shared by the listing commands (`ls -l` style lines).
#pragma once

#include <cstdint>
#include <string>

#include "index/union/union_tree.h"

namespace imgmount {

/// "drwxr-xr-x" style type-and-permission string.
std::string ModeString(MemberType type, uint32_t mode);

/// One `ls -l` style line for inode `id` shown as `name` (no newline).
std::string LongListingLine(const UnionTree& tree, uint32_t id, const std::string& name);

}  // namespace imgmount
