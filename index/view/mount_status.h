// What a mount says of itself, for `imgmount status`: the image it serves, the daemon's process,
// and how far the indexing of its layers is. The daemon answers it as a JSON document in the
// root's "user.imgmount.status" attribute (fs/), the status verb reads it back (tools/); this
// file is the one place that defines the document:
//
//   {"image": "/abs/path[:TAG]", "pid": 1234, "state": "indexing" | "complete" | "failed",
//    "error": null | "why it failed",
//    "layers": [{"digest": "sha256:..", "state": "queued" | "indexing" | "ready" | "failed",
//                "done": BYTES READ, "total": BLOB BYTES, "error": null | ".."}, ...]}
//
// Layers are listed bottom first, one per position in use. The document stays under the 64 KiB
// an extended attribute can hold: long errors are cut, and past that the layers' digests, then
// their errors, then the layers themselves are left out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/view/lazy_image.h"

namespace imgmount {

/// Largest status document, in bytes (the kernel's limit on an attribute value is 64 KiB).
inline constexpr size_t kMaxMountStatusBytes = 60 * 1024;

/// The state of a mount, or of one of its layers.
struct MountStatus {
  /// Where the whole indexing stands.
  enum class State { kIndexing, kComplete, kFailed };
  /// One layer position.
  struct Layer {
    /// The blob's digest (the diff_id if the image states none); "" if left out.
    std::string digest;
    LayerProgress::State state = LayerProgress::State::kQueued;
    /// Bytes of the blob read so far, and the blob's size.
    uint64_t done = 0;
    uint64_t total = 0;
    /// Why the layer failed ("" unless failed).
    std::string error;
  };

  /// The image as the mount was asked for (absolute path, and ":TAG" if one was given).
  std::string image;
  /// Process id of the daemon serving the mount.
  int64_t pid = 0;
  State state = State::kIndexing;
  /// Why the indexing failed ("" unless failed).
  std::string error;
  /// Layer positions, bottom first.
  std::vector<Layer> layers;

  /// Layers indexed so far.
  size_t LayersReady() const;
  /// Percentage of the layers' bytes read so far (0-100; 100 once complete).
  unsigned Percent() const;
};

/// The status of `image`, mounted from `image_name` and served by process `pid`.
MountStatus StatusOf(const LazyImage& image, const std::string& image_name, int64_t pid);

/// "indexing", "complete", "failed"; and "queued", "indexing", "ready", "failed" for layers.
const char* StateName(MountStatus::State state);
const char* StateName(LayerProgress::State state);

/// The JSON document of `status` (at most kMaxMountStatusBytes).
std::string EncodeMountStatus(const MountStatus& status);

/// Reads a document back; throws kBadImage naming `name` if it is not one.
MountStatus DecodeMountStatus(std::string_view text, const std::string& name);

}  // namespace imgmount
