// Indexing progress of a mount: sent by the mount process to the command that started it as the
// text of its progress reports (mount_report.h), and drawn on a terminal as one line per layer.
#pragma once

#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "index/view/lazy_image.h"

namespace imgmount {

/// The text of a progress report (MountReport::kProgress, mount_report.h):
/// "STATE,DONE,TOTAL,MILLISECONDS" per layer position, separated by spaces, with ",c" after a
/// layer whose index came from the cache.
std::string EncodeProgress(const std::vector<LayerProgress>& layers);

/// The layers of a progress report's `text`, or nullopt if it is not one.
std::optional<std::vector<LayerProgress>> DecodeProgress(const std::string& text);

/// "layer N (DIGEST)" for every layer position of `image` in use, for progress displays.
std::vector<std::string> LayerLabels(const LazyImage& image);

/// Picks out, from successive reports, the layer failures not seen before.
class FailureTracker {
 public:
  /// The errors of the layers of `layers` that failed since the last call; one layer used at
  /// two positions fails with one error, returned once.
  std::vector<std::string> NewFailures(const std::vector<LayerProgress>& layers);
  /// Whether `error` was returned already (and marks it so); for errors not of one layer.
  bool Seen(const std::string& error) { return !seen_.insert(error).second; }

 private:
  std::set<std::string> seen_;
};

/// Columns of a terminal whose width cannot be read.
inline constexpr size_t kDefaultTerminalWidth = 80;

/// The width of the terminal `out` writes to (kDefaultTerminalWidth if it is none).
size_t TerminalWidth(std::FILE* out);

/// Draws reports on a terminal, redrawing its lines in place.
class ProgressDisplay {
 public:
  /// Draws on `out`, naming layer position k `labels[k]`.
  ProgressDisplay(std::FILE* out, std::vector<std::string> labels)
      : out_(out), labels_(std::move(labels)) {}

  /// Replaces what is shown by `layers`, one line per layer cut to the terminal's width.
  void Show(const std::vector<LayerProgress>& layers);
  /// Makes the next Show draw below what was printed since the last one, not over it.
  void Restart() { lines_shown_ = 0; }
  /// Erases the lines the last Show drew (none after a Restart).
  void Clear();

 private:
  std::FILE* out_;
  std::vector<std::string> labels_;
  size_t lines_shown_ = 0;
  size_t width_ = 0;
};

}  // namespace imgmount
