// What every layer of an image did to one path: added or replaced it, deleted it (a whiteout, an
// opaque parent, a parent replaced by a non-directory), or left it alone. Answers `which`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "index/layer/layer_index.h"

namespace imgmount {

/// One thing a layer did to the path.
struct PathEvent {
  enum class Kind {
    kAdded,           ///< an entry at the path (the last one of the layer)
    kWhiteout,        ///< a whiteout of the path
    kParentDeleted,   ///< a whiteout of a parent directory
    kParentOpaque,    ///< an opaque marker on a parent directory
    kParentReplaced,  ///< a parent replaced by a non-directory
  };
  /// Layer position, 0 = bottom.
  uint32_t layer = 0;
  Kind kind = Kind::kAdded;
  /// For kAdded: the member's type; a hardlink's target is in `detail`.
  MemberType type = MemberType::kRegular;
  /// The parent concerned, or a hardlink's target.
  std::string detail;
};

/// The events of `path` (normalised, "" = root) in every layer, bottom first.
std::vector<PathEvent> PathHistory(const std::vector<std::shared_ptr<const LayerIndex>>& layers,
                                   std::string_view path);

/// "regular file", "directory", "symlink", ...
const char* MemberTypeName(MemberType type);

}  // namespace imgmount
