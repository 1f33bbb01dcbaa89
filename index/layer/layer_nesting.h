// A layer in which a member lies below a file that an earlier member of the same layer put
// there ("foo" a regular file, then "foo/bar") cannot be extracted: every runtime fails it with
// "not a directory", so the layer is refused rather than "foo" silently turned into a directory.
#pragma once

#include "index/layer/layer_index.h"

namespace imgmount {

/// Throws kBadImage naming both members if a member of `layer` lies below a path whose latest
/// earlier member in the same layer is a regular file, hardlink, device or fifo (not a whiteout
/// marker, which is never created). A directory or symlink at that path in between (the last
/// duplicate wins) makes it fine. O(n log n).
void CheckNothingBelowFiles(const LayerIndex& layer);

}  // namespace imgmount
