// One row per history line of an image: the layer it made (if any) with its digests and sizes.
// Built from the manifests and the config alone; what only a layer's index knows (uncompressed
// size, entries, access points) is filled in by the caller where the index is at hand. Shared by
// inspect, history and which.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layers/image/image.h"

namespace imgmount {

/// A history line and, unless it was an empty_layer step, the layer it produced.
struct LayerSummary {
  /// Position of the layer (0 = bottom), or nullopt for an empty_layer history line.
  std::optional<size_t> layer;
  std::string digest;
  std::string diff_id;
  std::string media_type;
  /// The codec ("gzip", "zstd", "none"), with its access points when the index is known, e.g.
  /// "gzip, 3 access points"; "" until the caller fills it in.
  std::string codec;
  /// The blob's size as its descriptor states it, else as stored.
  uint64_t compressed_size = 0;
  /// From the layer's index, when known.
  std::optional<uint64_t> uncompressed_size;
  std::optional<uint64_t> entries;
  /// Whether the history line has an entry in the config (false for layers beyond its history).
  bool has_history = false;
  std::string created;
  std::string created_by;
  std::string comment;
};

/// The rows of the bottom `layers_in_view` layers of `image`: history lines matched to layers in
/// order, up to the line of the last layer in view (all lines when every layer is in view), then
/// layers the history does not cover.
std::vector<LayerSummary> SummarizeLayers(const Image& image, size_t layers_in_view);

/// "1.5 MiB" style size.
std::string HumanSize(uint64_t bytes);

}  // namespace imgmount
