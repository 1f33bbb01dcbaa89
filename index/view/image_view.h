// Opens an image file end to end: container, manifests, layer indexes, and the union tree. This
// is the engine that the mount and every FUSE-free verb share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "index/union/union_tree.h"
#include "layers/image/image.h"
#include "layers/image/image_files.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// How to open an image.
struct ViewOptions {
  /// Which image and platform of the container.
  ImageSelector selector;
  /// Use only the bottom N layers (the image as it stood after layer N); 0 = all.
  size_t upto = 0;
  /// Tunables of the decode passes.
  DecodeOptions decode;
  /// Receives warnings (ignored members, media-type disagreements, index cache trouble).
  WarningSink warn;
  /// Directory of the persistent index cache (index_cache.h); "" keeps indexes in memory only.
  std::string cache_dir;
  /// Receives one note per layer (and compressed archive) on where its index came from:
  /// "layer 2 (sha256:ab12..): index loaded from cache" or "...: indexed in 1.23 s".
  WarningSink info;
};

/// An opened image: what was read, and the union view over it.
struct ImageView {
  std::shared_ptr<ImageFiles> files;
  Image image;
  /// Indexes of the layers in use, bottom first (one per layer, shared when a digest repeats).
  std::vector<std::shared_ptr<const LayerIndex>> layers;
  std::shared_ptr<const UnionTree> tree;
};

/// Splits "FILE:TAG" when FILE exists and the whole argument does not.
std::pair<std::string, std::string> SplitImageArgument(const std::string& argument);

/// Opens `path` and builds its union view. Throws Error.
ImageView OpenImageView(const std::string& path, const ViewOptions& options);

}  // namespace imgmount
