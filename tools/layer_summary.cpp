#include "tools/layer_summary.h"

#include <cstdio>

namespace imgmount {

std::string HumanSize(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::vector<LayerSummary> SummarizeLayers(const Image& image, size_t layers_in_view) {
  std::vector<LayerSummary> rows;
  size_t next_layer = 0;
  auto layer_row = [&](size_t i) {
    LayerSummary row;
    row.layer = i;
    const LayerBlob& blob = image.layers[i];
    row.digest = blob.digest;
    row.diff_id = blob.diff_id;
    row.media_type = blob.media_type;
    row.compressed_size = blob.descriptor_size.value_or(blob.blob->Size());
    return row;
  };
  bool all = layers_in_view >= image.layers.size();
  for (const HistoryEntry& entry : image.config.history) {
    if (!all && next_layer >= layers_in_view) break;
    LayerSummary row;
    if (!entry.empty_layer && next_layer < image.layers.size()) row = layer_row(next_layer++);
    row.has_history = true;
    row.created = entry.created;
    row.created_by = entry.created_by;
    row.comment = entry.comment;
    rows.push_back(std::move(row));
  }
  while (next_layer < layers_in_view && next_layer < image.layers.size()) {
    rows.push_back(layer_row(next_layer++));
  }
  return rows;
}

}  // namespace imgmount
