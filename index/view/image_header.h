// An image opened without its layers: the container, the chosen image's manifests and config,
// and what the index cache already knows of each layer. What inspect, history, config, manifest
// and images need, at the cost of `skopeo inspect`: no layer is indexed, hashed or read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "index/view/view_options.h"
#include "layers/image/image.h"
#include "layers/image/image_files.h"

namespace imgmount {

/// An opened container whose image is not chosen yet.
struct OpenedContainer {
  /// The container's files.
  std::shared_ptr<ImageFiles> files;
  /// The absolute path of the image file or directory.
  std::string path;
};

/// Opens the container at `path` (a compressed archive's own index goes through the cache of
/// `options`). Throws Error.
OpenedContainer OpenContainerOnly(const std::string& path, const ViewOptions& options);

/// The image of `container` chosen by `options` (selector, --upto checked against its layers).
struct ImageHeader {
  OpenedContainer container;
  Image image;
  /// Layers in the view: --upto, else all of them.
  size_t layers_in_view = 0;
};

/// Chooses and reads the image of `container` that `options` select. Throws Error (kUsage when
/// --upto exceeds the layers).
ImageHeader ReadImageHeader(OpenedContainer container, const ViewOptions& options);

/// What the index cache holds about one layer, if it holds its index.
struct CachedLayerFacts {
  /// Bytes of the uncompressed layer tar.
  uint64_t uncompressed_size = 0;
  /// Tar members.
  uint64_t entries = 0;
  /// Access points of the compressed stream (0 for an uncompressed layer).
  size_t access_points = 0;
  /// Whether the access points lie in a local multi-frame copy (a single zstd frame).
  bool local_copy = false;
};

/// The facts of layer `position` of `header` if its index is in the cache of `options` (looked
/// up, never built; see IndexCache::Peek), else nullopt.
std::optional<CachedLayerFacts> CachedLayer(const ImageHeader& header, size_t position,
                                            const ViewOptions& options);

}  // namespace imgmount
