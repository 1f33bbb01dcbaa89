// Indexing progress of a mount: sent by the mount process to the command that started it, one
// line per report, and drawn on a terminal as one line per layer.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "index/lazy_image.h"

namespace imgmount {

/// One report as a line: "P" then " STATE,DONE,TOTAL,MILLISECONDS" per layer position, "\n".
std::string EncodeProgress(const std::vector<LayerProgress>& layers);

/// The report in `line` (without its newline), or nullopt if it is not one.
std::optional<std::vector<LayerProgress>> DecodeProgress(const std::string& line);

/// Draws reports on a terminal, redrawing its lines in place.
class ProgressDisplay {
 public:
  /// Draws on `out`, naming layer position k `labels[k]`.
  ProgressDisplay(std::FILE* out, std::vector<std::string> labels)
      : out_(out), labels_(std::move(labels)) {}

  /// Replaces what is shown by `layers`.
  void Show(const std::vector<LayerProgress>& layers);

 private:
  std::FILE* out_;
  std::vector<std::string> labels_;
  size_t lines_shown_ = 0;
};

}  // namespace imgmount
