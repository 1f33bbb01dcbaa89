// The FUSE low-level operations of imgmount, serving an immutable UnionTree read-only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/union_tree.h"

struct fuse_lowlevel_ops;

namespace imgmount {

/// Everything the FUSE operations need; passed to the session as userdata.
struct FsContext {
  std::shared_ptr<const UnionTree> tree;
  /// Label of each layer position for the user.imgmount.layer attribute ("layer 3 (sha256:..)").
  std::vector<std::string> layer_labels;
  /// Seconds the kernel may cache entries and attributes (the image never changes).
  double cache_seconds = 86400.0;
};

/// The table of operations; writes answer EROFS. Userdata must be an FsContext*.
const fuse_lowlevel_ops& ImageFsOperations();

}  // namespace imgmount
