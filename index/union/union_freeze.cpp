// Freezes the mutable union tree into the immutable UnionTree. A depth-first walk from the root
// visits the children of each directory in byte order of their names; a node gets its inode id
// the first time one of its names is emitted (the root is 0), and each directory's entries are
// stored contiguously. The ids therefore depend only on the tree, not on how it was built, and
// stay the same across mounts of the same image. Only reachable nodes get an id: entries that
// later layers removed or replaced take no room.
#include <algorithm>
#include <unordered_set>

#include "index/union/inode_numbers.h"
#include "index/union/union_builder.h"
#include "layers/base/error.h"

namespace imgmount {
namespace {

// The storage of a tree built in memory; the tree's tables point into it.
struct BuiltTables {
  std::vector<UnionInode> inodes;
  std::vector<UnionDirent> dirents;
  std::string names;
  std::vector<uint32_t> member_ids;
  std::vector<DirectoryIdRecord> directory_ids;
};

UnionInode InodeOf(const std::vector<std::shared_ptr<const LayerIndex>>& layers, MemberType type,
                   uint32_t layer, uint32_t member, int64_t mtime_sec, uint32_t mtime_nsec) {
  UnionInode inode;
  inode.type = type;
  if (member == kNoIndex) {
    inode.mtime_sec = mtime_sec;
    inode.mtime_nsec = mtime_nsec;
    return inode;
  }
  const TarMember m = layers[layer]->member(member);
  inode.mode = m.mode & 07777;
  inode.uid = m.uid;
  inode.gid = m.gid;
  inode.mtime_sec = m.mtime_sec;
  inode.mtime_nsec = m.mtime_nsec;
  if (type == MemberType::kRegular) inode.size = m.size;
  if (type == MemberType::kSymlink) inode.size = m.link_target.size();
  inode.layer = layer;
  inode.member = member;
  return inode;
}

}  // namespace

std::shared_ptr<const UnionTree> UnionBuilder::Freeze() {
  auto built = std::make_shared<BuiltTables>();
  std::vector<UnionInode>& inodes = built->inodes;
  std::vector<UnionDirent>& dirents = built->dirents;
  std::string& names = built->names;
  // Every node becomes at most one inode and one directory entry: reserving that much up front
  // avoids the doubling copies (the capacity never touched costs no resident memory).
  inodes.reserve(nodes_.size());
  dirents.reserve(nodes_.size());
  std::vector<uint32_t> ids(nodes_.size(), kNoIndex);
  const std::vector<uint64_t> base = MemberBases(layers_);
  built->member_ids.assign(base.back(), kNoIndex);
  // Paths of the directories waiting on the stack, for the directories' numbers.
  std::vector<std::string> dir_paths(nodes_.size());
  std::unordered_set<uint64_t> directory_numbers;

  // Gives inode `id` its number: by member, or by path for a directory (the next free number on
  // the rare collision, in this deterministic walk order).
  auto number = [&](uint32_t id, const std::string& path) {
    UnionInode& inode = inodes[id];
    if (id == UnionTree::kRoot) {
      inode.ino = kRootIno;
    } else if (inode.type != MemberType::kDirectory) {
      inode.ino = MemberIno(inode.layer, inode.member);
      built->member_ids[base[inode.layer] + inode.member] = id;
    } else {
      uint64_t ino = DirectoryIno(path);
      while (!directory_numbers.insert(ino).second) {
        ino = (uint64_t{1} << 63) | ((ino + 1) & ~(uint64_t{1} << 63));
      }
      inode.ino = ino;
      built->directory_ids.push_back({ino, id, 0});
    }
  };

  auto add_inode = [&](uint32_t node_index) {
    if (inodes.size() >= kNoIndex) ThrowBadImage("image: more than 2^32 - 1 union entries");
    const Node& node = nodes_[node_index];
    uint32_t id = static_cast<uint32_t>(inodes.size());
    ids[node_index] = id;
    inodes.push_back(
        InodeOf(layers_, node.type, node.layer, node.member, node.mtime_sec, node.mtime_nsec));
    return id;
  };

  number(add_inode(UnionTree::kRoot), "");
  std::vector<uint32_t> stack = {UnionTree::kRoot};
  std::vector<uint32_t> subdirs;
  while (!stack.empty()) {
    uint32_t dir_node = stack.back();
    stack.pop_back();
    uint32_t dir_id = ids[dir_node];
    if (dirents.size() >= kNoIndex) ThrowBadImage("image: more than 2^32 - 1 union entries");
    uint32_t first = static_cast<uint32_t>(dirents.size());
    subdirs.clear();
    for (const auto& [name, child] : nodes_[dir_node].children) {
      const Node& node = nodes_[child];
      uint32_t id = ids[child];
      if (node.type == MemberType::kHardlink ||
          (id != kNoIndex && node.type == MemberType::kDirectory)) {
        // Unreachable by construction: placeholders are resolved at the end of their layer and
        // a directory has exactly one name. Refuse rather than build a cycle.
        throw Error(ErrorKind::kInternal, EIO,
                    "union: inconsistent tree at '" + std::string(name) + "'");
      }
      if (id == kNoIndex) {
        id = add_inode(child);
        const std::string& parent_path = dir_paths[dir_node];
        std::string path =
            parent_path.empty() ? std::string(name) : parent_path + "/" + std::string(name);
        number(id, path);
        if (node.type == MemberType::kDirectory) {
          inodes[id].parent = dir_id;
          subdirs.push_back(child);
          dir_paths[child] = std::move(path);
        }
      } else {
        ++inodes[id].nlink;
      }
      if (names.size() > kNoIndex - name.size()) ThrowBadImage("image: union names pass 4 GiB");
      dirents.push_back(
          UnionDirent{static_cast<uint32_t>(names.size()), static_cast<uint32_t>(name.size()), id});
      names += name;
    }
    UnionInode& dir = inodes[dir_id];
    dir.first_child = first;
    dir.child_count = static_cast<uint32_t>(dirents.size() - first);
    dir.nlink = 2 + static_cast<uint32_t>(subdirs.size());
    std::string().swap(dir_paths[dir_node]);
    stack.insert(stack.end(), subdirs.rbegin(), subdirs.rend());
  }
  std::sort(built->directory_ids.begin(), built->directory_ids.end(),
            [](const DirectoryIdRecord& a, const DirectoryIdRecord& b) { return a.ino < b.ino; });
  built->directory_ids.shrink_to_fit();
  UnionTables tables{built->inodes, built->dirents, built->names, built->member_ids,
                     built->directory_ids};
  return std::make_shared<const UnionTree>(std::move(layers_), tables, std::move(built));
}

}  // namespace imgmount
