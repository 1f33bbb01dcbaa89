// Per-layer lookup tables for resolving single paths before the whole union is built: the last
// entry at each path, the paths the layer whites out, its opaque directories, and which paths
// it implies as directories by having something below them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/layer/layer_index.h"

namespace imgmount {

/// Sorted lookups over one layer's members, judged by the union's marker grammar.
class LayerView {
 public:
  /// Builds the tables of `layer` (O(n log n)); the view keeps the layer alive.
  explicit LayerView(std::shared_ptr<const LayerIndex> layer);

  /// The layer itself.
  const LayerIndex& layer() const { return *layer_; }
  /// The last ordinary entry at `path` (tar order: the last duplicate wins).
  std::optional<uint32_t> Entry(std::string_view path) const;
  /// Whether the layer has an entry or marker strictly below `path` (so `path` is a directory
  /// in this layer, explicitly or implied).
  bool HasBelow(std::string_view path) const;
  /// Whether the layer has a whiteout of `path`.
  bool WhitesOut(std::string_view path) const;
  /// Whether the layer has an opaque marker in directory `path`.
  bool Opaque(std::string_view path) const;

 private:
  std::shared_ptr<const LayerIndex> layer_;
  /// (path, member) of ordinary entries, sorted by path, one per path (the last in tar order).
  std::vector<std::pair<std::string_view, uint32_t>> entries_;
  /// Every entry and marker path, sorted: for HasBelow.
  std::vector<std::string_view> all_paths_;
  /// Whited-out paths and opaque directories, sorted.
  std::vector<std::string> whiteouts_;
  std::vector<std::string_view> opaques_;
};

}  // namespace imgmount
