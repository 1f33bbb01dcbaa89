// Fitting a progress line into a terminal's width. The parts that say the most stay longest:
// the bar is only a picture of the percentage, so it narrows first and goes below a few cells;
// then the label (a layer's name, the same from line to line) is cut; the line is cut at the
// width as a last resort, so that it never wraps and the redraw in place keeps working.
#include "tools/progress_line.h"

#include <cmath>
#include <cstdio>

#include "tools/layer_summary.h"

namespace imgmount {
namespace {

// A bar narrower than this says nothing the percentage does not.
constexpr size_t kMinBarCells = 5;

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// What follows the bar for a layer being indexed or indexed: " RATE/s ETA m:ss" or " RATE/s".
std::string RateAndEta(const LayerProgress& layer) {
  double rate = layer.seconds > 0 ? static_cast<double>(layer.done) / layer.seconds : 0;
  std::string text = " " + HumanSize(static_cast<uint64_t>(rate)) + "/s";
  if (layer.state == LayerProgress::State::kReady) return text + " done";
  double left = rate > 0 ? static_cast<double>(layer.total - layer.done) / rate : -1;
  return text + " ETA " + FormatEta(left);
}

unsigned Percent(const LayerProgress& layer) {
  if (layer.total == 0) return layer.state == LayerProgress::State::kReady ? 100 : 0;
  return static_cast<unsigned>(std::min<uint64_t>(100, layer.done * 100 / layer.total));
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (char c : text) width += IsContinuationByte(c) ? 0 : 1;
  return width;
}

std::string CutToWidth(std::string_view text, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuationByte(text[i])) continue;
    if (columns == width) return std::string(text.substr(0, i));
    ++columns;
  }
  return std::string(text);
}

std::string FormatEta(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--:--";
  auto total = static_cast<uint64_t>(std::llround(seconds));
  char text[48];
  if (total < 3600) {
    std::snprintf(text, sizeof text, "%u:%02u", static_cast<unsigned>(total / 60),
                  static_cast<unsigned>(total % 60));
  } else {
    std::snprintf(text, sizeof text, "%llu:%02u:%02u",
                  static_cast<unsigned long long>(total / 3600),
                  static_cast<unsigned>(total / 60 % 60), static_cast<unsigned>(total % 60));
  }
  return text;
}

std::string ProgressBar(uint64_t done, uint64_t total, size_t cells) {
  size_t filled = total == 0 ? 0 : static_cast<size_t>(std::min(done, total) * cells / total);
  return std::string(filled, '#') + std::string(cells - filled, '-');
}

std::string ProgressLine(const std::string& label, const LayerProgress& layer, size_t width) {
  std::string head;  // before the bar
  std::string tail;  // after it
  bool with_bar = false;
  switch (layer.state) {
    case LayerProgress::State::kQueued:
      head = "waiting";
      break;
    case LayerProgress::State::kFailed:
      head = "failed";
      break;
    case LayerProgress::State::kReady:
      if (layer.cached) {
        head = "cached";
        break;
      }
      [[fallthrough]];
    case LayerProgress::State::kIndexing: {
      char percent[8];
      std::snprintf(percent, sizeof percent, "%3u%%", Percent(layer));
      head = percent;
      tail = RateAndEta(layer);
      with_bar = true;
      break;
    }
  }
  size_t fixed = DisplayWidth(label) + 2 + DisplayWidth(head) + DisplayWidth(tail);
  std::string bar;
  if (with_bar) {
    size_t room = width > fixed + 3 ? width - fixed - 3 : 0;  // " [" and "]"
    size_t cells = std::min(kProgressBarCells, room);
    if (cells >= kMinBarCells) bar = " [" + ProgressBar(layer.done, layer.total, cells) + "]";
  }
  std::string status = head + bar + tail;
  size_t status_width = DisplayWidth(status);
  std::string shown_label = label;
  if (DisplayWidth(label) + 2 + status_width > width) {
    shown_label = CutToWidth(label, width > status_width + 2 ? width - status_width - 2 : 0);
    if (shown_label.empty()) return CutToWidth(status, width);
  }
  return CutToWidth(shown_label + ": " + status, width);
}

}  // namespace imgmount
