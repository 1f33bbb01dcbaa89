// Comparison of two union trees: added, deleted and modified paths, and for each modification
// what changed. Regular files of equal size are compared by their content hashes
// (content_hashes.h), which are read from the index cache when it has them. Entries supplied by
// the same member of two layers that indexing proved identical are equal in everything their tar
// member gives them, so those attributes are not compared and their content is never read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/union/union_tree.h"
#include "index/view/content_hashes.h"

namespace imgmount {

/// One tree and where to start comparing it.
struct DiffSide {
  const UnionTree* tree = nullptr;
  /// The entry to start from; nullopt when the compared path does not exist on this side.
  std::optional<uint32_t> root = UnionTree::kRoot;
};

/// One difference between the trees.
struct DiffEntry {
  enum class Kind { kAdded, kDeleted, kModified };
  /// Path relative to the compared entries, "" for the compared entries themselves.
  std::string path;
  Kind kind = Kind::kModified;
  /// For kModified: what changed, from "type", "mode", "uid", "gid", "links", "size",
  /// "content", "target", "rdev", "xattrs", "mtime".
  std::vector<std::string> what;
  /// Types on each side (meaningful where the side has the path).
  MemberType type_a = MemberType::kRegular;
  MemberType type_b = MemberType::kRegular;
  /// Inode ids on each side, kNoIndex where the side lacks the path.
  uint32_t id_a = kNoIndex;
  uint32_t id_b = kNoIndex;
};

/// What to compare.
struct DiffOptions {
  bool ignore_mtime = false;
  /// Where content hashes come from (and go, by its Save()); null: computed for this call only.
  ContentHashes* hashes = nullptr;
};

/// The identity of a layer's tar stream as indexing computed it from the layer's own bytes, or ""
/// when it did not (an uncompressed layer's data is skipped, so the digest its image claims for it
/// is unproven). Layers with equal non-empty identities have equal members at equal positions.
std::string ProvenLayerIdentity(const LayerIndex& layer);

/// Differences between a and b, in path order; an added or deleted directory is one entry, and a
/// root missing on one side is one entry with the path "". Empty if both roots are missing.
std::vector<DiffEntry> DiffTrees(const DiffSide& a, const DiffSide& b, const DiffOptions& options);

}  // namespace imgmount
