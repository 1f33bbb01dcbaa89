// The text of one layer's line in the terminal progress display: a percentage, a bar, the rate
// and an estimate of the time left, or "cached" for a layer whose index came from the cache;
// never wider than the terminal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "index/view/lazy_image.h"

namespace imgmount {

/// Columns `text` takes on a terminal: one per UTF-8 character (no escape sequences in it).
size_t DisplayWidth(std::string_view text);

/// The longest start of `text` that takes at most `width` columns, never cut inside a UTF-8
/// character.
std::string CutToWidth(std::string_view text, size_t width);

/// A duration for an ETA: "m:ss" under an hour, else "h:mm:ss"; "--:--" when unknown (< 0).
std::string FormatEta(double seconds);

/// `cells` characters, '#' in proportion to done/total, the rest '-'.
std::string ProgressBar(uint64_t done, uint64_t total, size_t cells);

/// The bar's width when the line has room for it.
inline constexpr size_t kProgressBarCells = 20;

/// One layer's progress line, "LABEL: 42% [########------------] 1.5 MiB/s ETA 0:07", at most
/// `width` columns: the bar narrows (and goes) first, then the label is cut, then the rest.
std::string ProgressLine(const std::string& label, const LayerProgress& layer, size_t width);

}  // namespace imgmount
