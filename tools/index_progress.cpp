#include "tools/index_progress.h"

#include <sys/ioctl.h>

#include <cinttypes>
#include <cstring>
#include <sstream>

#include "tools/progress_line.h"

namespace imgmount {
namespace {

constexpr const char* kStateLetters = "qirf";  // queued, indexing, ready, failed

}  // namespace

std::vector<std::string> LayerLabels(const LazyImage& image) {
  std::vector<std::string> labels;
  for (uint32_t i = 0; i < image.layer_count(); ++i) {
    const LayerBlob& blob = image.image().layers[i];
    std::string id = blob.digest.empty() ? blob.diff_id : blob.digest;
    labels.push_back("layer " + std::to_string(i + 1) + " (" + id + ")");
  }
  return labels;
}

std::string EncodeProgress(const std::vector<LayerProgress>& layers) {
  std::string out;
  for (const LayerProgress& layer : layers) {
    char field[96];
    std::snprintf(field, sizeof field, "%s%c,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "%s",
                  out.empty() ? "" : " ", kStateLetters[static_cast<int>(layer.state)], layer.done,
                  layer.total, static_cast<uint64_t>(layer.seconds * 1000),
                  layer.cached ? ",c" : "");
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
    int used = 0;
    if (std::sscanf(field.c_str(), "%c,%" SCNu64 ",%" SCNu64 ",%" SCNu64 "%n", &state, &done,
                    &total, &ms, &used) != 4) {
      return std::nullopt;
    }
    std::string flags = field.substr(static_cast<size_t>(used));  // "" or ",c" (from the cache)
    if (!flags.empty() && flags != ",c") return std::nullopt;
    const char* found = std::strchr(kStateLetters, state);
    if (found == nullptr || state == 0) return std::nullopt;
    LayerProgress layer;
    layer.state = static_cast<LayerProgress::State>(found - kStateLetters);
    layer.done = done;
    layer.total = total;
    layer.seconds = static_cast<double>(ms) / 1000;
    layer.cached = flags == ",c";
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

size_t TerminalWidth(std::FILE* out) {
  struct winsize size {};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return kDefaultTerminalWidth;
}

void ProgressDisplay::Clear() {
  if (lines_shown_ == 0) return;
  std::fprintf(out_, "\033[%zuA\r\033[J", lines_shown_);
  lines_shown_ = 0;
  std::fflush(out_);
}

void ProgressDisplay::Show(const std::vector<LayerProgress>& layers) {
  // The width is read again at every redraw: a resized terminal gets lines of its new width.
  size_t width = TerminalWidth(out_);
  if (lines_shown_ > 0) std::fprintf(out_, "\033[%zuA", lines_shown_);
  if (width != width_) std::fputs("\r\033[J", out_);  // what the old width drew, reflowed
  width_ = width;
  for (size_t k = layers.size(); k-- > 0;) {
    std::string label = k < labels_.size() ? labels_[k] : "layer " + std::to_string(k + 1);
    std::fprintf(out_, "\r\033[2K%s\n", ProgressLine(label, layers[k], width).c_str());
  }
  lines_shown_ = layers.size();
  std::fflush(out_);
}

}  // namespace imgmount
