// Checks a union tree's tables (union_checks.h) in three linear passes: the inodes on their own,
// the directory entries (names, order, who names whom, counting the names of each inode), then
// the two inverse maps. Nothing is dereferenced before its range is checked.
#include "index/union/union_checks.h"

#include <cstdint>

#include "index/union/inode_numbers.h"
#include "index/union/union_builder.h"

namespace imgmount {

namespace {

constexpr uint32_t kMaxNanoseconds = 999'999'999;

std::string InodeProblem(const UnionTables& t, uint32_t id,
                         const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  const UnionInode& inode = t.inodes[id];
  auto type = static_cast<uint8_t>(inode.type);
  if (type > static_cast<uint8_t>(MemberType::kFifo) || inode.type == MemberType::kHardlink) {
    return "bad type";
  }
  if (inode.reserved[0] != 0 || inode.reserved[1] != 0 || inode.reserved[2] != 0 ||
      inode.reserved2 != 0) {
    return "reserved bytes set";
  }
  if (inode.mode > 07777 || inode.mtime_nsec > kMaxNanoseconds) return "bad mode or mtime";
  bool directory = inode.type == MemberType::kDirectory;
  if ((inode.layer == kNoIndex) != (inode.member == kNoIndex)) return "half a member";
  if (inode.layer == kNoIndex) {
    if (!directory) return "a non-directory without a member";
  } else if (inode.layer >= layers.size() || inode.member >= layers[inode.layer]->size()) {
    return "member out of range";
  }
  if (directory) {
    if (inode.parent >= t.inodes.size() || t.inodes[inode.parent].type != MemberType::kDirectory) {
      return "parent out of range";
    }
    if (uint64_t{inode.first_child} + inode.child_count > t.dirents.size()) {
      return "children out of range";
    }
    if (id != UnionTree::kRoot && !IsDirectoryIno(inode.ino)) return "bad directory number";
  } else {
    if (inode.first_child != 0 || inode.child_count != 0 || inode.parent != 0) {
      return "children of a non-directory";
    }
    if (inode.ino != MemberIno(inode.layer, inode.member)) return "bad inode number";
  }
  if (inode.nlink == 0) return "no link";
  return "";
}

}  // namespace

std::string UnionTablesProblem(const UnionTables& t,
                               const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  if (t.inodes.empty() || t.inodes.size() >= kNoIndex || t.dirents.size() >= kNoIndex ||
      t.names.size() > kNoIndex || layers.size() >= kNoIndex) {
    return "table sizes out of range";
  }
  const UnionInode& root = t.inodes[UnionTree::kRoot];
  if (root.type != MemberType::kDirectory || root.parent != UnionTree::kRoot ||
      root.ino != kRootIno) {
    return "bad root";
  }
  auto count = static_cast<uint32_t>(t.inodes.size());
  uint64_t directories = 0;
  for (uint32_t id = 0; id < count; ++id) {
    std::string problem = InodeProblem(t, id, layers);
    if (!problem.empty()) return "inode " + std::to_string(id) + ": " + problem;
    if (t.inodes[id].type == MemberType::kDirectory) ++directories;
  }

  // Entries: each directory's range, names in order, and how often each inode is named.
  std::vector<uint32_t> names(count, 0);
  for (uint32_t dir = 0; dir < count; ++dir) {
    const UnionInode& inode = t.inodes[dir];
    if (inode.type != MemberType::kDirectory) continue;
    uint32_t subdirs = 0;
    std::string_view previous;
    for (uint32_t i = 0; i < inode.child_count; ++i) {
      const UnionDirent& entry = t.dirents[inode.first_child + i];
      // The message is made only for a failure: this loop runs once per entry on every load.
      auto at = [&](const char* problem) {
        return "entry " + std::to_string(inode.first_child + i) + ": " + problem;
      };
      if (entry.name_offset > t.names.size() ||
          entry.name_length > t.names.size() - entry.name_offset) {
        return at("name out of range");
      }
      std::string_view name = t.names.substr(entry.name_offset, entry.name_length);
      if (BadEntryName(name) != nullptr || name.find('/') != std::string_view::npos) {
        return at("bad name");
      }
      if (i > 0 && !(previous < name)) return at("names out of order");
      previous = name;
      if (entry.inode == UnionTree::kRoot || entry.inode >= count) {
        return at("inode out of range");
      }
      const UnionInode& child = t.inodes[entry.inode];
      if (child.type == MemberType::kDirectory) {
        if (names[entry.inode] != 0 || child.parent != dir) {
          return at("a directory named twice or away from its parent");
        }
        ++subdirs;
      }
      ++names[entry.inode];
    }
    if (inode.nlink != 2 + uint64_t{subdirs}) {
      return "directory " + std::to_string(dir) + ": wrong link count";
    }
  }
  for (uint32_t id = 1; id < count; ++id) {
    const UnionInode& inode = t.inodes[id];
    if (inode.type != MemberType::kDirectory && inode.nlink != names[id]) {
      return "inode " + std::to_string(id) + ": wrong link count";
    }
  }

  // The inverse maps: by member, and by directory number.
  std::vector<uint64_t> base = MemberBases(layers);
  if (t.member_ids.size() != base.back()) return "member map of the wrong size";
  uint64_t mapped = 0;
  for (uint64_t i = 0; i < t.member_ids.size(); ++i) {
    uint32_t id = t.member_ids[i];
    if (id == kNoIndex) continue;
    if (id >= count || t.inodes[id].type == MemberType::kDirectory || id == UnionTree::kRoot ||
        base[t.inodes[id].layer] + t.inodes[id].member != i) {
      return "member map entry " + std::to_string(i) + " is wrong";
    }
    ++mapped;
  }
  if (mapped != count - directories) return "member map misses inodes";
  if (t.directory_ids.size() != directories - 1) return "directory map of the wrong size";
  for (size_t i = 0; i < t.directory_ids.size(); ++i) {
    const DirectoryIdRecord& r = t.directory_ids[i];
    if (r.reserved != 0 || r.id == UnionTree::kRoot || r.id >= count ||
        t.inodes[r.id].type != MemberType::kDirectory || t.inodes[r.id].ino != r.ino ||
        (i > 0 && !(t.directory_ids[i - 1].ino < r.ino))) {
      return "directory map entry " + std::to_string(i) + " is wrong";
    }
  }
  return "";
}

}  // namespace imgmount
