// Hardlinks in the mutable union tree. A link member becomes one more name of the node found at
// its target path at the link's own tar position, so it keeps that inode even when a later entry
// or layer replaces the target path. A link whose target is not there yet takes its place in
// tar order as a placeholder node; at the end of the layer's phase B each placeholder is resolved
// (following chains of placeholders, refusing cycles) and every name that still refers to it is
// pointed at the target or removed. Links into the AUFS directory ".wh..wh.plnk/" resolve to the
// hidden file stored there by the same layer (old docker AUFS exports).
#include "index/union/union_builder.h"
#include "layers/base/member_path.h"

namespace imgmount {

void UnionBuilder::ApplyHardlink(Layer& layer, uint32_t member, uint32_t dir,
                                 std::string_view name) {
  const TarMember m = layer.index_ptr->member(member);
  std::string_view target = m.link_target;
  if (IsAufsLinkPath(target)) {
    auto link = layer.aufs_links.find(target);
    if (link != layer.aufs_links.end()) {
      auto [it, inserted] = layer.aufs_nodes.try_emplace(link->second, kNoIndex);
      if (inserted) {
        Node node;
        node.type = MemberType::kRegular;
        node.layer = layer.index;
        node.member = link->second;
        it->second = NewNode(node);
      }
      Place(dir, name, it->second);
      return;
    }
  }
  if (HasMarkerComponent(target)) {
    DropLink(layer, member, dir, name, "the target is a whiteout or AUFS name");
    return;
  }
  std::vector<std::string_view> comps;
  SplitPath(target, comps);
  std::optional<uint32_t> found = Find(comps);
  if (!found) {
    Node node;
    node.type = MemberType::kHardlink;
    node.layer = layer.index;
    node.member = member;
    node.pending = static_cast<uint32_t>(layer.pending.size());
    uint32_t placeholder = NewNode(node);
    layer.pending.push_back(Pending{placeholder, member, {{dir, name, member}}});
    Place(dir, name, placeholder);
    return;
  }
  const Node& node = nodes_[*found];
  if (node.type == MemberType::kDirectory) {
    DropLink(layer, member, dir, name, "the target is a directory");
    return;
  }
  if (node.type == MemberType::kHardlink) {
    layer.pending[node.pending].names.push_back({dir, name, member});
  }
  Place(dir, name, *found);
}

void UnionBuilder::ResolvePending(Layer& layer) {
  for (uint32_t i = 0; i < layer.pending.size(); ++i) ResolveChain(layer, i);
  for (const Pending& pending : layer.pending) {
    for (const LinkName& link : pending.names) {
      Children& children = nodes_[link.dir].children;
      auto it = children.find(link.name);
      // A later entry of this layer took the name: that entry won, nothing to fix.
      if (it == children.end() || it->second != pending.node) continue;
      if (pending.result != kNoIndex) {
        it->second = pending.result;
      } else {
        DropLink(layer, link.member, link.dir, link.name, pending.why);
      }
    }
  }
}

uint32_t UnionBuilder::ResolveChain(Layer& layer, uint32_t first) {
  std::vector<uint32_t> chain;
  std::vector<std::string_view> comps;
  uint32_t cur = first;
  uint32_t result = kNoIndex;
  const char* why = nullptr;
  while (true) {
    Pending& pending = layer.pending[cur];
    if (pending.state == Pending::State::kDone) {
      result = pending.result;
      why = pending.why;
      break;
    }
    if (pending.state == Pending::State::kVisiting) {
      why = "the hardlinks form a cycle";
      break;
    }
    pending.state = Pending::State::kVisiting;
    chain.push_back(cur);
    SplitPath(layer.index_ptr->member(pending.member).link_target, comps);
    std::optional<uint32_t> found = Find(comps);
    if (!found) {
      why = "the target does not exist in this layer or below";
      break;
    }
    const Node& node = nodes_[*found];
    if (node.type == MemberType::kDirectory) {
      why = "the target is a directory";
      break;
    }
    if (node.type == MemberType::kHardlink) {
      cur = node.pending;
      continue;
    }
    result = *found;
    break;
  }
  for (uint32_t i : chain) {
    layer.pending[i].state = Pending::State::kDone;
    layer.pending[i].result = result;
    layer.pending[i].why = why;
  }
  return result;
}

void UnionBuilder::DropLink(Layer& layer, uint32_t member, uint32_t dir, std::string_view name,
                            const std::string& why) {
  const TarMember m = layer.index_ptr->member(member);
  Warn(layer, m, "hardlink to /" + PrintableName(m.link_target) + " dropped: " + why);
  // The link member replaced whatever was at its path before it failed, as in tar extraction.
  Children& children = nodes_[dir].children;
  auto it = children.find(name);
  if (it != children.end()) children.erase(it);
}

}  // namespace imgmount
