#include "tools/layer_summary.h"

#include <cstdio>

namespace imgmount {
namespace {

std::string CodecLayout(const LayerIndex& layer, const SourcePtr& blob) {
  Codec codec = SniffCodec(*blob);
  const StreamIndex& stream = layer.stream_index();
  std::string out = CodecName(codec);
  if (codec == Codec::kNone) return out;
  bool local = false;
  for (const AccessPoint& point : stream.points) local = local || point.in_local_copy;
  size_t points = stream.points.size();
  out += ", " + std::to_string(points) + (points == 1 ? " access point" : " access points");
  // A single zstd frame cannot be entered mid-stream: its points lie in a local multi-frame copy.
  if (local) out += " (local copy)";
  return out;
}

}  // namespace

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

std::vector<LayerSummary> SummarizeLayers(const ImageView& view) {
  const Image& image = view.image;
  std::vector<LayerSummary> rows;
  size_t next_layer = 0;
  auto layer_row = [&](size_t i) {
    LayerSummary row;
    row.layer = i;
    const LayerBlob& blob = image.layers[i];
    row.digest = blob.digest;
    row.diff_id = blob.diff_id;
    row.media_type = blob.media_type;
    row.compressed_size = blob.blob->Size();
    if (i < view.layers.size()) {
      const LayerIndex& index = *view.layers[i];
      row.codec = CodecLayout(index, blob.blob);
      row.uncompressed_size = index.stream()->Size();
      row.entries = index.size();
    }
    return row;
  };
  for (const HistoryEntry& entry : image.config.history) {
    LayerSummary row;
    if (!entry.empty_layer && next_layer < image.layers.size()) row = layer_row(next_layer++);
    row.created = entry.created;
    row.created_by = entry.created_by;
    rows.push_back(std::move(row));
  }
  while (next_layer < image.layers.size()) rows.push_back(layer_row(next_layer++));
  return rows;
}

}  // namespace imgmount
