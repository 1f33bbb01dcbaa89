// The union view of an image's layers as one immutable tree, as the builder leaves it
// (union_builder.h; the rules are at the top of union_builder.cpp). Ids are indices: inode id 0
// is the root; FUSE inode numbers are in inode_numbers.h. Nothing changes once it is built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/layer/layer_index.h"
#include "layers/base/error.h"

namespace imgmount {

/// Marks "no layer" / "no member" for directories implied by a child's path.
inline constexpr uint32_t kNoIndex = UINT32_MAX;

/// One inode of the union view; hardlinked names share one inode. A fixed 72-byte record with
/// no implicit padding, so the union cache file (index/cache/union_file.h) stores it as it is.
struct UnionInode {
  /// Inode number (FUSE node id and st_ino), see inode_numbers.h.
  uint64_t ino = 1;
  /// Never kHardlink: a hardlink is one more name of its target's inode.
  MemberType type = MemberType::kDirectory;
  /// Always 0.
  uint8_t reserved[3] = {};
  uint32_t mode = 0755;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  /// Always 0.
  uint32_t reserved2 = 0;
  /// Logical size of a regular file; length of a symlink's target; 0 for others.
  uint64_t size = 0;
  /// Number of names of this inode in the tree (directories: 2 + number of subdirectories).
  uint32_t nlink = 1;
  /// Layer (0 = bottom) that supplied this inode, kNoIndex for an implied directory.
  uint32_t layer = kNoIndex;
  /// Index of the member in that layer's LayerIndex, kNoIndex for an implied directory.
  uint32_t member = kNoIndex;
  /// For directories: the parent directory's id (the root is its own parent).
  uint32_t parent = 0;
  /// For directories: first entry and number of entries in the dirent table.
  uint32_t first_child = 0;
  uint32_t child_count = 0;
};

/// One name in a directory (12 bytes); UnionTree::name() gives the name itself.
struct UnionDirent {
  /// The name's place in the tree's name table.
  uint32_t name_offset = 0;
  uint32_t name_length = 0;
  /// The inode id it names.
  uint32_t inode = 0;
};

/// A directory's inode number and its tree id (16 bytes), for finding directories by number.
struct DirectoryIdRecord {
  uint64_t ino = 0;
  uint32_t id = 0;
  /// Always 0.
  uint32_t reserved = 0;
};

/// The tables of a frozen union, whether built in memory or mapped from the cache.
struct UnionTables {
  /// Every inode, the root first; a directory's entries are dirents[first_child, +child_count).
  std::span<const UnionInode> inodes;
  /// The directory entries, each directory's sorted by name (byte order).
  std::span<const UnionDirent> dirents;
  /// The names of the entries, back to back.
  std::string_view names;
  /// Tree id of each member-numbered inode, at (members of the layers below) + member,
  /// kNoIndex where absent.
  std::span<const uint32_t> member_ids;
  /// Every directory but the root, sorted by inode number.
  std::span<const DirectoryIdRecord> directory_ids;
};

/// The immutable union of an image's layers.
class UnionTree {
 public:
  /// Id of the root directory.
  static constexpr uint32_t kRoot = 0;

  /// Wraps `tables` over `layers`, whose storage `owner` keeps alive: the builder's (Freeze) or
  /// a mapped cache file's, which must have passed UnionTablesProblem (union_checks.h) first.
  UnionTree(std::vector<std::shared_ptr<const LayerIndex>> layers, UnionTables tables,
            std::shared_ptr<const void> owner);
  UnionTree(const UnionTree&) = delete;
  UnionTree& operator=(const UnionTree&) = delete;

  /// Number of inodes; ids are 0 .. inode_count()-1.
  size_t inode_count() const { return tables_.inodes.size(); }

  /// The inode with this id (must be < inode_count()).
  const UnionInode& inode(uint32_t id) const { return tables_.inodes[id]; }

  /// Entries of directory `dir`, sorted by name (byte order); empty for non-directories.
  std::span<const UnionDirent> children(uint32_t dir) const;

  /// The name of a directory entry of this tree.
  std::string_view name(const UnionDirent& entry) const {
    return tables_.names.substr(entry.name_offset, entry.name_length);
  }

  /// The raw tables (for the union cache file).
  const UnionTables& tables() const { return tables_; }

  /// The entry `name` in directory `dir`, if any.
  std::optional<uint32_t> Lookup(uint32_t dir, std::string_view name) const;

  /// Resolves a path ("", "/", "a/b", "/a/b/") component by component, never following symlinks.
  std::optional<uint32_t> Resolve(std::string_view path) const;

  /// The id of the inode numbered `ino` (see inode_numbers.h), if the tree has it.
  std::optional<uint32_t> IdOfIno(uint64_t ino) const;

  /// The tar member behind an inode, or nullopt for an implied directory.
  std::optional<TarMember> member(uint32_t id) const;

  /// The layers the tree was built from, bottom first.
  const std::vector<std::shared_ptr<const LayerIndex>>& layers() const { return layers_; }

  /// Reads file content at `offset` (regular files only; holes of sparse files read as zeros);
  /// returns bytes copied, fewer only at the end of the file. Throws Error.
  size_t Read(uint32_t id, uint64_t offset, std::span<std::byte> dst) const;

  /// Bytes actually stored for a regular file (its size, or the sum of a sparse file's runs).
  uint64_t StoredBytes(uint32_t id) const;

  /// For lseek(SEEK_DATA/SEEK_HOLE): the first data (want_data) or hole offset >= offset,
  /// or nullopt if there is none before the end of the file (the end itself counts as a hole).
  std::optional<uint64_t> SeekData(uint32_t id, uint64_t offset, bool want_data) const;

 private:
  /// The member of regular file `id`; throws for any other inode.
  TarMember RegularMember(uint32_t id, const char* op) const;

  std::vector<std::shared_ptr<const LayerIndex>> layers_;
  UnionTables tables_;
  std::shared_ptr<const void> owner_;
  /// member_base_[p] = members of the layer positions below p; one more entry holds the total.
  std::vector<uint64_t> member_base_;
};

/// Members of the layer positions below each position of `layers`, and the total at the end.
std::vector<uint64_t> MemberBases(const std::vector<std::shared_ptr<const LayerIndex>>& layers);

}  // namespace imgmount
