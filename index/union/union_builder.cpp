// The union of an image's layers (the union rules of docs/ARCHITECTURE.md: OCI image-spec layer.md
// with overlayfs semantics), built once into an immutable tree.
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
//
// This file holds the tree primitives and the three phases; hardlinks are in union_links.cpp.
#include "index/union/union_builder.h"

#include <algorithm>

#include "layers/base/error.h"
#include "layers/base/member_path.h"

namespace imgmount {

UnionBuilder::UnionBuilder(std::vector<std::shared_ptr<const LayerIndex>> layers,
                           const WarningSink& warn)
    : layers_(std::move(layers)), warn_(warn), max_entries_(MaxEntries()) {
  if (layers_.size() >= kNoIndex) ThrowBadImage("image: too many layers");
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (!layers_[i]) {
      throw Error(ErrorKind::kInternal, EINVAL, "union: layer " + std::to_string(i) + " is null");
    }
    if (layers_[i]->size() >= kNoIndex)
      ThrowBadImage(layers_[i]->name() + ": too many tar members");
  }
  nodes_.emplace_back();  // the root: an implied directory, 0755 root:root, mtime 0
}

std::shared_ptr<const UnionTree> BuildUnionTree(
    std::vector<std::shared_ptr<const LayerIndex>> layers, const WarningSink& warn) {
  return UnionBuilder(std::move(layers), warn).ApplyAllAndFreeze();
}

std::shared_ptr<const UnionTree> UnionBuilder::ApplyAllAndFreeze() {
  for (uint32_t i = 0; i < layers_.size(); ++i) ApplyLayer(i);
  return Freeze();
}

void UnionBuilder::ApplyLayer(uint32_t index) {
  Layer layer;
  layer.index = index;
  layer.index_ptr = layers_.at(index).get();
  const LayerIndex& members = *layer.index_ptr;
  std::vector<uint32_t> entries;
  entries.reserve(members.size());
  std::string reason;

  // Phase A: classify every member by name; markers act on the lower state right away, which
  // is still untouched by this layer since no entry has been applied yet.
  for (uint32_t i = 0; i < members.size(); ++i) {
    PathKind kind = ClassifyPath(members.path(i), reason);
    switch (kind) {
      case PathKind::kEntry:
        entries.push_back(i);
        break;
      case PathKind::kWhiteout:
      case PathKind::kOpaque:
        layer.markers.push_back(i);
        ApplyMarkerToLower(layer, i, kind);
        break;
      case PathKind::kHidden:
        if (IsAufsLinkPath(members.path(i)) && members.type(i) == MemberType::kRegular) {
          layer.aufs_links[members.path(i)] = i;
        }
        if (!reason.empty()) Warn(layer, members.member(i), "ignored: " + reason);
        break;
      case PathKind::kInvalid:
        Warn(layer, members.member(i), "ignored: " + reason);
        break;
    }
  }

  // Phase B: entries in tar order; then the hardlinks that named a later entry.
  for (uint32_t i : entries) ApplyEntry(layer, i);
  ResolvePending(layer);

  // Phase C: markers whose parent directory does not exist as a directory now.
  for (uint32_t i : layer.markers) ApplyMarkerAfter(layer, i);
}

uint32_t UnionBuilder::NewNode(const Node& node) {
  if (nodes_.size() >= max_entries_) {
    ThrowBadImage("image: its layers hold more than " + std::to_string(max_entries_) +
                  " entries in all; refused to bound memory (IMGMOUNT_MAX_ENTRIES=N raises the "
                  "limit)");
  }
  nodes_.push_back(node);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t UnionBuilder::NewImpliedDir(const TarMember& cause) {
  Node node;
  node.mtime_sec = cause.mtime_sec;
  node.mtime_nsec = cause.mtime_nsec;
  return NewNode(node);
}

std::optional<uint32_t> UnionBuilder::Find(std::span<const std::string_view> comps) const {
  uint32_t cur = UnionTree::kRoot;
  for (std::string_view name : comps) {
    const Node& node = nodes_[cur];
    if (node.type != MemberType::kDirectory) return std::nullopt;
    auto it = node.children.find(name);
    if (it == node.children.end()) return std::nullopt;
    cur = it->second;
  }
  return cur;
}

std::optional<uint32_t> UnionBuilder::FindDir(std::span<const std::string_view> comps) const {
  std::optional<uint32_t> found = Find(comps);
  if (found && nodes_[*found].type != MemberType::kDirectory) return std::nullopt;
  return found;
}

uint32_t UnionBuilder::EnsureDirs(std::span<const std::string_view> comps, const TarMember& cause) {
  uint32_t cur = UnionTree::kRoot;
  for (std::string_view name : comps) {
    Children& children = nodes_[cur].children;
    auto it = children.find(name);
    if (it == children.end()) {
      uint32_t dir = NewImpliedDir(cause);
      children.emplace(name, dir);
      cur = dir;
    } else if (nodes_[it->second].type != MemberType::kDirectory) {
      // A non-directory in the way is replaced, never followed.
      it->second = NewImpliedDir(cause);
      cur = it->second;
    } else {
      cur = it->second;
    }
  }
  return cur;
}

void UnionBuilder::Place(uint32_t dir, std::string_view name, uint32_t node) {
  Children& children = nodes_[dir].children;
  auto it = children.find(name);
  if (it == children.end()) {
    children.emplace(name, node);
  } else {
    it->second = node;
  }
}

void UnionBuilder::ApplyMarkerToLower(Layer& layer, uint32_t member, PathKind kind) {
  SplitPath(layer.index_ptr->path(member), scratch_);
  std::span<const std::string_view> comps(scratch_);
  std::optional<uint32_t> dir = FindDir(comps.first(comps.size() - 1));
  if (!dir) return;
  Children& children = nodes_[*dir].children;
  if (kind == PathKind::kOpaque) {
    children.clear();
    return;
  }
  auto it = children.find(comps.back().substr(4));
  if (it != children.end()) children.erase(it);
}

void UnionBuilder::ApplyEntry(Layer& layer, uint32_t member) {
  const TarMember m = layer.index_ptr->member(member);
  SplitPath(m.path, scratch_);
  if (scratch_.empty()) {
    if (m.type != MemberType::kDirectory) {
      Warn(layer, m, "ignored: the root entry is not a directory");
      return;
    }
    nodes_[UnionTree::kRoot].layer = layer.index;
    nodes_[UnionTree::kRoot].member = member;
    return;
  }
  layer.entry_paths.push_back(m.path);
  std::span<const std::string_view> comps(scratch_);
  uint32_t dir = EnsureDirs(comps.first(comps.size() - 1), m);
  std::string_view name = comps.back();
  if (m.type == MemberType::kHardlink) {
    ApplyHardlink(layer, member, dir, name);
    return;
  }
  if (m.type == MemberType::kDirectory) {
    const Children& children = nodes_[dir].children;
    auto it = children.find(name);
    if (it != children.end() && nodes_[it->second].type == MemberType::kDirectory) {
      // Directory over directory: merge, keeping the children, and take the new attributes.
      Node& existing = nodes_[it->second];
      existing.layer = layer.index;
      existing.member = member;
      return;
    }
  }
  Node node;
  node.type = m.type;
  node.layer = layer.index;
  node.member = member;
  Place(dir, name, NewNode(node));
}

void UnionBuilder::ApplyMarkerAfter(Layer& layer, uint32_t member) {
  const TarMember m = layer.index_ptr->member(member);
  SplitPath(m.path, scratch_);
  std::span<const std::string_view> parent =
      std::span<const std::string_view>(scratch_).first(scratch_.size() - 1);
  if (FindDir(parent)) return;
  // Find the first component that is missing or not a directory.
  uint32_t cur = UnionTree::kRoot;
  for (std::string_view name : parent) {
    const Children& children = nodes_[cur].children;
    auto it = children.find(name);
    if (it == children.end()) break;
    if (nodes_[it->second].type != MemberType::kDirectory) {
      // A non-directory that this same layer put there wins over the marker (umoci writes
      // whiteouts below paths that the layer turned into files).
      size_t prefix_len = static_cast<size_t>(name.data() + name.size() - m.path.data());
      if (LayerHasEntryAt(layer, std::string_view(m.path).substr(0, prefix_len))) return;
      break;
    }
    cur = it->second;
  }
  EnsureDirs(parent, m);
}

bool UnionBuilder::LayerHasEntryAt(Layer& layer, std::string_view path) {
  if (!layer.entry_paths_sorted) {
    std::sort(layer.entry_paths.begin(), layer.entry_paths.end());
    layer.entry_paths_sorted = true;
  }
  return std::binary_search(layer.entry_paths.begin(), layer.entry_paths.end(), path);
}

void UnionBuilder::Warn(const Layer& layer, const TarMember& member,
                        const std::string& what) const {
  if (!warn_) return;
  std::string label = layer.index_ptr->name().empty() ? "layer " + std::to_string(layer.index)
                                                      : layer.index_ptr->name();
  warn_(label + ": /" + PrintableName(member.path) + ": " + what);
}

}  // namespace imgmount
