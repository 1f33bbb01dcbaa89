// Lookups in the frozen union tree: directory entries, paths, inode numbers and members. How
// the tree is built is described at the top of union_builder.cpp; reads are in union_read.cpp.
#include "index/union/union_tree.h"

#include <algorithm>

#include "index/union/inode_numbers.h"

namespace imgmount {

std::vector<uint64_t> MemberBases(const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  std::vector<uint64_t> base(1, 0);
  for (const auto& layer : layers) base.push_back(base.back() + layer->size());
  return base;
}

UnionTree::UnionTree(std::vector<std::shared_ptr<const LayerIndex>> layers, UnionTables tables,
                     std::shared_ptr<const void> owner)
    : layers_(std::move(layers)),
      tables_(tables),
      owner_(std::move(owner)),
      member_base_(MemberBases(layers_)) {}

std::span<const UnionDirent> UnionTree::children(uint32_t dir) const {
  if (dir >= tables_.inodes.size() || tables_.inodes[dir].type != MemberType::kDirectory) return {};
  const UnionInode& inode = tables_.inodes[dir];
  return tables_.dirents.subspan(inode.first_child, inode.child_count);
}

std::optional<uint32_t> UnionTree::Lookup(uint32_t dir, std::string_view name) const {
  std::span<const UnionDirent> entries = children(dir);
  auto it = std::lower_bound(
      entries.begin(), entries.end(), name,
      [this](const UnionDirent& entry, std::string_view key) { return this->name(entry) < key; });
  if (it == entries.end() || this->name(*it) != name) return std::nullopt;
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
    std::span<const DirectoryIdRecord> ids = tables_.directory_ids;
    auto it =
        std::lower_bound(ids.begin(), ids.end(), ino,
                         [](const DirectoryIdRecord& r, uint64_t key) { return r.ino < key; });
    if (it == ids.end() || it->ino != ino) return std::nullopt;
    return it->id;
  }
  uint32_t layer = 0;
  uint32_t member = 0;
  if (!InoToMember(ino, layer, member) || layer + 1 >= member_base_.size()) return std::nullopt;
  uint64_t index = member_base_[layer] + member;
  if (index >= member_base_[layer + 1] || tables_.member_ids[index] == kNoIndex) {
    return std::nullopt;
  }
  return tables_.member_ids[index];
}

std::optional<TarMember> UnionTree::member(uint32_t id) const {
  if (id >= tables_.inodes.size()) return std::nullopt;
  const UnionInode& inode = tables_.inodes[id];
  if (inode.layer == kNoIndex || inode.member == kNoIndex) return std::nullopt;
  return layers_[inode.layer]->member(inode.member);
}

}  // namespace imgmount
