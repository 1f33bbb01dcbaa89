// One row per history line of an image: the layer it made (if any) with its digests, codec,
// sizes and entry count. Shared by inspect and the other reporting commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/view/image_view.h"

namespace imgmount {

/// A history line and, unless it was an empty_layer step, the layer it produced.
struct LayerSummary {
  /// Position of the layer (0 = bottom), or nullopt for an empty_layer history line.
  std::optional<size_t> layer;
  std::string digest;
  std::string diff_id;
  std::string media_type;
  /// "none", or the codec with its number of access points, e.g. "gzip, 3 access points".
  std::string codec;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t entries = 0;
  std::string created;
  std::string created_by;
};

/// The rows for `view`: history lines matched to layers in order, extra layers appended.
std::vector<LayerSummary> SummarizeLayers(const ImageView& view);

/// "1.5 MiB" style size.
std::string HumanSize(uint64_t bytes);

}  // namespace imgmount
