// Resolves single paths of the union top-down, layer by layer, so that a path an upper layer
// settles (it has the entry, or whites it out, or hides its parent) is answered without waiting
// for the lower layers to be indexed. It answers the same as the UnionTree built once all layers
// are there (a property test checks this), except for a few within-layer orderings that only
// the full build sees (a member replacing its own ancestor later in the same tar).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "index/union/layer_view.h"
#include "index/union/union_tree.h"

namespace imgmount {

/// Where a path of the union comes from.
struct PathSource {
  enum class Kind { kAbsent, kMember, kImpliedDir };
  Kind kind = Kind::kAbsent;
  /// For kMember: the layer and member whose attributes the path has (a hardlink's target's).
  uint32_t layer = kNoIndex;
  uint32_t member = kNoIndex;
  /// For kMember: the member's type (never kHardlink); kImpliedDir: kDirectory.
  MemberType type = MemberType::kDirectory;
  /// For a directory: its attributes may still change, since a lower layer that could supply
  /// them is not indexed yet (its kind and inode number are settled).
  bool provisional = false;
};

/// The inode number (inode_numbers.h) of `path` when it comes from `source` (not kAbsent).
uint64_t InoOf(const PathSource& source, std::string_view path);

/// Top-down resolution of paths over layers that become available one by one.
class LazyResolver {
 public:
  /// `view(k)` returns layer k's view (0 = bottom), waiting until it is indexed; it may throw
  /// that layer's indexing error.
  /// `try_view(k)`, if given, returns layer k's view or null without waiting: it is used where
  /// only a directory's attributes are at stake, which are then marked provisional.
  LazyResolver(uint32_t layer_count, std::function<const LayerView&(uint32_t)> view,
               std::function<const LayerView*(uint32_t)> try_view = {})
      : count_(layer_count), view_(std::move(view)), try_view_(std::move(try_view)) {}

  /// Where `path` (normalised; "" is the root) comes from in the full image.
  PathSource Resolve(std::string_view path) const;

 private:
  PathSource ResolveAsOf(std::string_view path, uint32_t top, std::string_view hide,
                         int depth) const;
  PathSource Root(uint32_t top) const;
  bool CutsBelow(const LayerView& view, std::string_view path, std::string_view hide = {}) const;

  uint32_t count_;
  /// Layer k's view for a directory-attribute search: waits unless try_view_ is set.
  const LayerView* AttributeView(uint32_t k) const;

  std::function<const LayerView&(uint32_t)> view_;
  std::function<const LayerView*(uint32_t)> try_view_;
};

}  // namespace imgmount
