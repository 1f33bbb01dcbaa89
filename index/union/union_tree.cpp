// The union of an image's layers (the union rules of docs/ARCHITECTURE.md: OCI image-spec layer.md with overlayfs
// semantics), built once into an immutable tree.
//
// Layers are applied bottom (index 0) to top onto a mutable tree whose nodes are inodes: a node
// is backed by one tar member (layer, member index) or is an implied directory, and a directory
// maps names to nodes (std::map: ordered, and immune to crafted hash collisions). The root
// starts as an implied directory 0755 root:root mtime 0; a root member "" (a directory) in any
// layer gives it its attributes, the topmost one winning. Each layer is applied in three phases.
//
// Every member is first classified by the names in its path alone, before any link handling,
// since docker and buildah store whiteouts as hardlinks or mode-0 files (union_paths.cpp):
// ".wh..wh..opq" is an opaque marker; ".wh..wh.plnk", ".wh..wh.aufs", ".wh..wh.orph" and all
// below them are AUFS metadata, hidden; a bare ".wh." is invalid; any other ".wh.NAME" is a
// whiteout of NAME (so ".wh..wh..opqX" whites out ".wh..opqX", a name never served). A member
// with a ".wh." component above its last one is never served; so is one whose name the kernel
// would not serve (empty, ".", "..", NUL, over 255 bytes). Markers are never served.
//
// A. Markers act on the lower state only (the layers below; nothing of this layer is applied
//    yet), which makes their position in the tar irrelevant. DIR/.wh..wh..opq drops all
//    children of DIR, DIR/.wh.NAME drops DIR/NAME with its subtree, if DIR exists as a directory
//    when walked without following symlinks; otherwise the marker has nothing to hide.
// B. The entries are applied in tar order. Parent directories are made to exist: a missing one
//    is implied (0755, root:root, the mtime of the entry that implied it) and a non-directory in
//    the way, lower or from this layer, is replaced by an implied directory: the union never
//    follows symlinks. A directory over a directory merges (the children stay) and takes the
//    new attributes; anything else replaces whatever was at the path, whole subtree included.
//    So within a layer the last duplicate wins, whatever the types.
//    A hardlink becomes one more name of the node at its target path at that moment (lower
//    layers after phase A, plus this layer's entries so far): it shares the inode as of its own
//    layer, and a later replacement of the target path gives that path a new node while the
//    link keeps the old one. A link whose target is not there yet holds its name as a
//    placeholder and is resolved at the end of phase B (tar may store the target later); a link
//    that is still unresolved, or whose target is a directory or a marker name, is dropped with
//    a warning, and what was at its path stays replaced (union_links.cpp).
// C. A marker whose parent directory does not exist as a directory after B implies it (0755,
//    root:root, the marker's mtime), as the directory holding the marker exists in that layer:
//    an opaque marker under a lower symlink yields an empty directory. Except: when the first
//    non-directory on the way was put there by this very layer, the marker is ignored (umoci
//    writes whiteouts below paths that the same layer turned into files).
//
// The same layer twice in one image is simply applied twice. Finally the tree is frozen
// (union_freeze.cpp): inode ids are assigned depth first in name order, so they are stable;
// nlink counts a node's names (directories: 2 + subdirectories). Reads are in union_read.cpp.
#include "index/union/union_tree.h"

#include <algorithm>

#include "index/union/inode_numbers.h"
#include "index/union/union_builder.h"

namespace imgmount {

std::shared_ptr<const UnionTree> UnionTree::Build(
    std::vector<std::shared_ptr<const LayerIndex>> layers, const WarningSink& warn) {
  return UnionBuilder(std::move(layers), warn).ApplyAllAndFreeze();
}

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
