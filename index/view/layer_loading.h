// The steps of opening an image that the eager view and the lazy mount share: the container
// (with its own index through the cache when it is compressed) and each layer's index (from the
// cache, or built and stored there).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "index/cache/index_cache.h"
#include "index/layer/layer_index.h"
#include "index/view/view_options.h"
#include "layers/image/image.h"
#include "layers/image/image_files.h"

namespace imgmount {

/// The time since `start` as "1.23 s", for notes.
std::string SecondsSince(std::chrono::steady_clock::time_point start);

/// "layer N (sha256:ab12..)" for the layer at `position` (0 = bottom).
std::string LayerName(size_t position, const LayerBlob& blob);

/// A key under which two identical layers of one image are indexed once.
std::string LayerKey(const LayerBlob& blob);

/// The absolute path of `path` (itself if it cannot be resolved).
std::string AbsolutePath(const std::string& path);

/// Where a layer's bytes come from: the image file and the blob's path in it, or the blob's own
/// file in a layout directory.
struct BlobPlace {
  /// Identity of the blob's bytes, for index cache entries that cannot be shared by digest.
  std::string origin;
  /// Inode, size and mtime of the file holding the blob, recorded with each use of an entry.
  std::string identity;
};

/// The place of `blob` of the image at absolute path `image`; both fields "" if unknown.
BlobPlace PlaceOf(const std::string& image, const ImageFiles& files, const LayerBlob& blob);

/// Opens the container at `path` (`image` is its absolute path); a compressed tar's own index
/// goes through `cache` when there is one.
std::unique_ptr<ImageFiles> OpenContainer(const std::string& path, const std::string& image,
                                          IndexCache* cache, const ViewOptions& options);

/// Loads or builds the index of `blob` at layer `position`; `progress`, if given, follows the
/// bytes of the blob read so far; `from_cache`, if given, is set to whether the index came from
/// the cache. Throws what IndexLayer throws.
std::shared_ptr<const LayerIndex> LoadLayer(
    IndexCache* cache, const ImageFiles& files, const std::string& image, const LayerBlob& blob,
    size_t position, const ViewOptions& options,
    std::shared_ptr<std::atomic<uint64_t>> progress = nullptr, bool* from_cache = nullptr);

}  // namespace imgmount
