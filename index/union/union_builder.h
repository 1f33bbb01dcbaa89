// How the union of an image's layers is built: BuildUnionTree, and the mutable phase behind it, a
// tree of nodes that the layers are applied to one by one (union_builder.cpp, union_links.cpp),
// then frozen into a UnionTree (union_freeze.cpp). The rules and the algorithm are described at
// the top of union_builder.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/union/union_tree.h"

namespace imgmount {

/// Applies `layers` bottom (index 0) to top by the union rules (docs/ARCHITECTURE.md) and returns
/// the frozen union; ignored entries are reported to `warn`. Throws Error.
std::shared_ptr<const UnionTree> BuildUnionTree(
    std::vector<std::shared_ptr<const LayerIndex>> layers, const WarningSink& warn = {});

/// What a member's path makes of it, judged by its names alone (before any link handling).
enum class PathKind : uint8_t {
  kEntry,     ///< an ordinary entry (or the root ""), applied in phase B
  kWhiteout,  ///< DIR/.wh.NAME: hides DIR/NAME of the lower layers
  kOpaque,    ///< DIR/.wh..wh..opq: hides all lower children of DIR
  kHidden,    ///< AUFS metadata or an entry below a ".wh." name: never served, no effect
  kInvalid,   ///< a bare ".wh." or a name the kernel would reject: ignored
};

/// Classifies a normalised member path; `reason` receives why a member is ignored, or stays
/// empty when it is ignored silently (AUFS metadata) or not at all.
PathKind ClassifyPath(std::string_view path, std::string& reason);

/// The path a whiteout member (classified kWhiteout) hides: "d/.wh.x" -> "d/x".
std::string WhiteoutTarget(std::string_view marker_path);

/// Why `name` (one path component) cannot be a directory entry the kernel lists and looks up,
/// or nullptr if it can.
const char* BadEntryName(std::string_view name);

/// Splits a normalised path into its components into `out` (cleared first), skipping empty ones.
void SplitPath(std::string_view path, std::vector<std::string_view>& out);

/// True if `path` has a component starting with ".wh.", i.e. it can never be served.
bool HasMarkerComponent(std::string_view path);

/// True if `path` lies in the AUFS hardlink directory ".wh..wh.plnk/" at the root.
bool IsAufsLinkPath(std::string_view path);

/// Applies layers to a mutable tree and freezes the result into an immutable UnionTree.
class UnionBuilder {
 public:
  /// Starts from an empty root (0755, root:root, mtime 0); throws on a null or oversized layer.
  UnionBuilder(std::vector<std::shared_ptr<const LayerIndex>> layers, const WarningSink& warn);

  /// Applies layer `layer` (phases A, B and C) on top of the layers applied so far.
  void ApplyLayer(uint32_t layer);

  /// Numbers the reachable nodes depth first in name order and builds the immutable tree;
  /// the builder is spent afterwards.
  std::shared_ptr<const UnionTree> Freeze();

  /// Applies every layer, bottom first, and freezes the result.
  std::shared_ptr<const UnionTree> ApplyAllAndFreeze();

 private:
  /// Names point into the layers' string tables, which outlive the builder and the tree.
  using Children = std::map<std::string_view, uint32_t>;

  /// One inode of the mutable tree; names refer to nodes by index, so hardlinks share one.
  struct Node {
    /// kHardlink marks a placeholder for a link whose target is not resolved yet.
    MemberType type = MemberType::kDirectory;
    uint32_t layer = kNoIndex;
    uint32_t member = kNoIndex;
    /// Modification time of an implied directory (members carry their own).
    int64_t mtime_sec = 0;
    uint32_t mtime_nsec = 0;
    /// For a placeholder: its index in Layer::pending.
    uint32_t pending = kNoIndex;
    Children children;
  };

  /// One name given to a placeholder: directory node, name, and the link member that asked.
  struct LinkName {
    uint32_t dir;
    std::string_view name;
    uint32_t member;
  };

  /// A hardlink whose target was missing when its member was applied.
  struct Pending {
    uint32_t node;
    uint32_t member;
    std::vector<LinkName> names;
    enum class State : uint8_t { kOpen, kVisiting, kDone } state = State::kOpen;
    uint32_t result = kNoIndex;
    const char* why = nullptr;
  };

  /// What one layer's application needs beyond the tree itself.
  struct Layer {
    uint32_t index = 0;
    const LayerIndex* index_ptr = nullptr;
    std::vector<uint32_t> markers;
    std::vector<std::string_view> entry_paths;
    bool entry_paths_sorted = false;
    std::map<std::string_view, uint32_t> aufs_links;
    std::map<uint32_t, uint32_t> aufs_nodes;
    std::vector<Pending> pending;
  };

  // Tree primitives (union_builder.cpp).
  uint32_t NewNode(const Node& node);
  uint32_t NewImpliedDir(const TarMember& cause);
  std::optional<uint32_t> Find(std::span<const std::string_view> comps) const;
  std::optional<uint32_t> FindDir(std::span<const std::string_view> comps) const;
  uint32_t EnsureDirs(std::span<const std::string_view> comps, const TarMember& cause);
  void Place(uint32_t dir, std::string_view name, uint32_t node);

  // The three phases of a layer (union_builder.cpp).
  void ApplyMarkerToLower(Layer& layer, uint32_t member, PathKind kind);
  void ApplyEntry(Layer& layer, uint32_t member);
  void ApplyMarkerAfter(Layer& layer, uint32_t member);
  bool LayerHasEntryAt(Layer& layer, std::string_view path);

  // Hardlinks (union_links.cpp).
  void ApplyHardlink(Layer& layer, uint32_t member, uint32_t dir, std::string_view name);
  void ResolvePending(Layer& layer);
  uint32_t ResolveChain(Layer& layer, uint32_t first);
  void DropLink(Layer& layer, uint32_t member, uint32_t dir, std::string_view name,
                const std::string& why);

  void Warn(const Layer& layer, const TarMember& member, const std::string& what) const;

  std::vector<std::shared_ptr<const LayerIndex>> layers_;
  const WarningSink& warn_;
  uint64_t max_entries_;  // MaxEntries(), read once
  std::deque<Node> nodes_;
  std::vector<std::string_view> scratch_;
};

}  // namespace imgmount
