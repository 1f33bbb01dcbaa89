// Opens an image file end to end: container, manifests, layer indexes, and the union tree. This
// is the engine that the mount and every FUSE-free verb share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "index/union/union_tree.h"
#include "index/view/view_options.h"
#include "layers/image/image.h"
#include "layers/image/image_files.h"

namespace imgmount {

class LazyImage;

/// An opened image: what was read, and the union view over it.
struct ImageView {
  std::shared_ptr<ImageFiles> files;
  Image image;
  /// Indexes of the layers in use, bottom first (one per layer, shared when a digest repeats).
  std::vector<std::shared_ptr<const LayerIndex>> layers;
  std::shared_ptr<const UnionTree> tree;
};

/// Opens `path` and builds its union view. Throws Error.
ImageView OpenImageView(const std::string& path, const ViewOptions& options);

/// The view of an image being opened: waits for its union tree (throws the error of a layer
/// that failed).
ImageView ViewOf(const LazyImage& lazy);

}  // namespace imgmount
