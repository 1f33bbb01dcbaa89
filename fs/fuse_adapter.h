// The FUSE low-level operations of imgmount, serving an image read-only: from its union tree once
// built, and from the layers indexed so far before that (node_source.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fs/node_source.h"

struct fuse_lowlevel_ops;

namespace imgmount {

/// Everything the FUSE operations need; passed to the session as userdata.
struct FsContext {
  /// The image's nodes.
  std::unique_ptr<NodeSource> nodes;
  /// Label of each layer position for the user.imgmount.layer attribute ("layer 3 (sha256:..)").
  std::vector<std::string> layer_labels;
  /// Seconds the kernel may cache entries and attributes answered from the tree (the image
  /// never changes); answers made before the tree exists are not cached.
  double cache_seconds = 86400.0;
};

/// The table of operations; writes answer EROFS. Userdata must be an FsContext*.
const fuse_lowlevel_ops& ImageFsOperations();

}  // namespace imgmount
