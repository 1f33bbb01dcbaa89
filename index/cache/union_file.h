// The persisted union tree of a chain of layers, as the index cache keeps it (union_cache.h):
// the UnionTree tables exactly as they are in memory, so a warm mount maps the file and checks
// it instead of applying every layer again.
//
// The file is a section file (layers/base/section_file.h: magic, version, byte-order mark, size,
// CRC-32 of everything after the header, a table of 8-aligned sections). Kind "IMGMUNIO",
// version 1; any other version is refused (and the union rebuilt). Integers are in the writer's
// byte order.
//
//   section  record size  content
//   UNIO     16           u32 layer count N, u32 number of warnings W, i64 creation time (Unix s)
//   IDNT     fields       1 + N strings (u32 length + bytes each): the chain id the file is filed
//                         under (union_cache.h), then the cache entry stem of each layer, bottom
//                         first ("sha256-<hex>", "bound-<hex>")
//   LAYR     24 each      LayerPrint per layer: u64 members, u64 bytes of its tables, u32 CRC-32
//                         of its tables (members, attributes, extras, xattrs, sparse runs, strings
//                         in this order), u32 zero: the union is used only over these very tables
//   WARN     fields       W strings: the warnings building the union gave (replayed on each load)
//   INOD     72 each      UnionInode (index/union/union_tree.h), the root first
//   DENT     12 each      UnionDirent: u32 name offset, u32 name length (into NAME), u32 inode
//   NAME     bytes        the entry names back to back
//   MIDS     4 each       the tree id of each member-numbered inode (0xffffffff: none)
//   DIDS     16 each      DirectoryIdRecord: u64 inode number, u32 tree id, u32 zero; by number
//
// Reading trusts nothing: the section file's own checks (size, CRC, version), then the chain id,
// the layer stems and every layer's print against the layers in hand, then every table through
// UnionTablesProblem (index/union/union_checks.h). Any failure means: rebuild.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/union/union_tree.h"

namespace imgmount {

/// What a union file says about itself, for listing the cache.
struct UnionFileInfo {
  /// The chain id it is filed under.
  std::string chain_id;
  /// The cache entry stem of each layer, bottom first.
  std::vector<std::string> layer_stems;
  /// Inodes in the tree.
  uint64_t inodes = 0;
  /// When it was written (Unix seconds).
  int64_t created = 0;
};

/// Writes `tree` as the union of the layers with cache stems `layer_stems`, filed under
/// `chain_id`, with the `warnings` its build gave, to `path` atomically. False and `why` on
/// failure.
bool WriteUnionFile(const std::string& path, const UnionTree& tree, const std::string& chain_id,
                    const std::vector<std::string>& layer_stems,
                    const std::vector<std::string>& warnings, std::string* why);

/// A union file mapped, checked and wrapped as a tree, with the warnings to replay.
struct LoadedUnion {
  std::shared_ptr<const UnionTree> tree;
  std::vector<std::string> warnings;
};

/// Maps the union file at `path` and checks it completely against `chain_id`, `layer_stems` and
/// `layers`; nullopt and `why` ("" when there is no file) on any doubt.
std::optional<LoadedUnion> ReadUnionFile(const std::string& path, const std::string& chain_id,
                                         const std::vector<std::string>& layer_stems,
                                         std::vector<std::shared_ptr<const LayerIndex>> layers,
                                         std::string* why);

/// The identity of the union file at `path` (its header, identity and table sizes checked, not
/// its tables against layers); nullopt and `why` if it is unreadable.
std::optional<UnionFileInfo> ReadUnionFileInfo(const std::string& path, std::string* why);

}  // namespace imgmount
