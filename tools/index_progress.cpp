#include "tools/index_progress.h"

#include <cinttypes>
#include <cstring>
#include <sstream>

#include "tools/layer_summary.h"

namespace imgmount {
namespace {

constexpr const char* kStateLetters = "qirf";  // queued, indexing, ready, failed

}  // namespace

std::string EncodeProgress(const std::vector<LayerProgress>& layers) {
  std::string out;
  for (const LayerProgress& layer : layers) {
    char field[96];
    std::snprintf(field, sizeof field, "%s%c,%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                  out.empty() ? "" : " ", kStateLetters[static_cast<int>(layer.state)], layer.done,
                  layer.total, static_cast<uint64_t>(layer.seconds * 1000));
    out += field;
  }
  return out;
}

std::optional<std::vector<LayerProgress>> DecodeProgress(const std::string& text) {
  std::istringstream in(text);
  std::vector<LayerProgress> layers;
  std::string field;
  while (in >> field) {
    char state = 0;
    uint64_t done = 0;
    uint64_t total = 0;
    uint64_t ms = 0;
    if (std::sscanf(field.c_str(), "%c,%" SCNu64 ",%" SCNu64 ",%" SCNu64, &state, &done, &total,
                    &ms) != 4) {
      return std::nullopt;
    }
    const char* found = std::strchr(kStateLetters, state);
    if (found == nullptr || state == 0) return std::nullopt;
    LayerProgress layer;
    layer.state = static_cast<LayerProgress::State>(found - kStateLetters);
    layer.done = done;
    layer.total = total;
    layer.seconds = static_cast<double>(ms) / 1000;
    layers.push_back(layer);
  }
  return layers;
}

std::vector<std::string> FailureTracker::NewFailures(const std::vector<LayerProgress>& layers) {
  std::vector<std::string> failures;
  for (const LayerProgress& layer : layers) {
    if (layer.state == LayerProgress::State::kFailed && !Seen(layer.error)) {
      failures.push_back(layer.error);
    }
  }
  return failures;
}

void ProgressDisplay::Show(const std::vector<LayerProgress>& layers) {
  if (lines_shown_ > 0) std::fprintf(out_, "\033[%zuA", lines_shown_);
  for (size_t k = layers.size(); k-- > 0;) {
    const LayerProgress& layer = layers[k];
    std::string label = k < labels_.size() ? labels_[k] : "layer " + std::to_string(k + 1);
    std::string status;
    switch (layer.state) {
      case LayerProgress::State::kQueued:
        status = "waiting";
        break;
      case LayerProgress::State::kIndexing:
      case LayerProgress::State::kReady: {
        double rate = layer.seconds > 0 ? static_cast<double>(layer.done) / layer.seconds : 0;
        char text[128];
        std::snprintf(text, sizeof text, "%s / %s, %s/s%s", HumanSize(layer.done).c_str(),
                      HumanSize(layer.total).c_str(),
                      HumanSize(static_cast<uint64_t>(rate)).c_str(),
                      layer.state == LayerProgress::State::kReady ? ", done" : "");
        status = text;
        break;
      }
      case LayerProgress::State::kFailed:
        status = "failed";
        break;
    }
    std::fprintf(out_, "\r\033[2K%s: %s\n", label.c_str(), status.c_str());
  }
  lines_shown_ = layers.size();
  std::fflush(out_);
}

}  // namespace imgmount
