// Comparison of two union trees: added, deleted and modified paths, and for each modification
// what changed. Entries supplied by the same member of the same layer blob (same digest) are
// equal by construction and are never read; other regular files of equal size are compared by
// their content hashes (content_hashes.h), which are read from the index cache when it has them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "index/content_hashes.h"
#include "index/union_tree.h"

namespace imgmount {

/// One tree and how to recognise its layers across images.
struct DiffSide {
  const UnionTree* tree = nullptr;
  /// A digest (or other stable key) per layer position; equal keys mean identical layers.
  std::vector<std::string> layer_keys;
  /// The directory to start from.
  uint32_t root = UnionTree::kRoot;
};

/// One difference between the trees.
struct DiffEntry {
  enum class Kind { kAdded, kDeleted, kModified };
  /// Path relative to the compared directories, "" for the directory itself.
  std::string path;
  Kind kind = Kind::kModified;
  /// For kModified: what changed, from "type", "mode", "uid", "gid", "links", "size",
  /// "content", "target", "rdev", "xattrs", "mtime".
  std::vector<std::string> what;
  /// Types on each side (meaningful where the side has the path).
  MemberType type_a = MemberType::kRegular;
  MemberType type_b = MemberType::kRegular;
};

/// What to compare.
struct DiffOptions {
  bool ignore_mtime = false;
  /// Where content hashes come from (and go, by its Save()); null: computed for this call only.
  ContentHashes* hashes = nullptr;
};

/// Differences between a and b, in path order; an added or deleted directory is one entry.
std::vector<DiffEntry> DiffTrees(const DiffSide& a, const DiffSide& b, const DiffOptions& options);

}  // namespace imgmount
