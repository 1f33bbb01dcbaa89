// Lookups in the frozen union tree: directory entries, paths, inode numbers and members. How
// the tree is built is described at the top of union_builder.cpp; reads are in union_read.cpp.
#include "index/union/union_tree.h"

#include <algorithm>

#include "index/union/inode_numbers.h"

namespace imgmount {

std::span<const UnionDirent> UnionTree::children(uint32_t dir) const {
  if (dir >= inodes_.size() || inodes_[dir].type != MemberType::kDirectory) return {};
  const UnionInode& inode = inodes_[dir];
  return std::span<const UnionDirent>(dirents_).subspan(inode.first_child, inode.child_count);
}

std::optional<uint32_t> UnionTree::Lookup(uint32_t dir, std::string_view name) const {
  std::span<const UnionDirent> entries = children(dir);
  auto it = std::lower_bound(
      entries.begin(), entries.end(), name,
      [](const UnionDirent& entry, std::string_view key) { return entry.name < key; });
  if (it == entries.end() || it->name != name) return std::nullopt;
  return it->inode;
}

std::optional<uint32_t> UnionTree::Resolve(std::string_view path) const {
  uint32_t cur = kRoot;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view name = path.substr(start, slash - start);
    start = slash + 1;
    if (name.empty() || name == ".") continue;
    std::optional<uint32_t> next = Lookup(cur, name);
    if (!next) return std::nullopt;
    cur = *next;
  }
  return cur;
}

std::optional<uint32_t> UnionTree::IdOfIno(uint64_t ino) const {
  if (ino == kRootIno) return kRoot;
  if (IsDirectoryIno(ino)) {
    auto it = std::lower_bound(directory_ids_.begin(), directory_ids_.end(),
                               std::pair<uint64_t, uint32_t>{ino, 0});
    if (it == directory_ids_.end() || it->first != ino) return std::nullopt;
    return it->second;
  }
  uint32_t layer = 0;
  uint32_t member = 0;
  if (!InoToMember(ino, layer, member) || layer + 1 >= member_base_.size()) return std::nullopt;
  uint64_t index = member_base_[layer] + member;
  if (index >= member_base_[layer + 1] || member_ids_[index] == kNoIndex) return std::nullopt;
  return member_ids_[index];
}

std::optional<TarMember> UnionTree::member(uint32_t id) const {
  if (id >= inodes_.size()) return std::nullopt;
  const UnionInode& inode = inodes_[id];
  if (inode.layer == kNoIndex || inode.member == kNoIndex) return std::nullopt;
  return layers_[inode.layer]->member(inode.member);
}

}  // namespace imgmount
