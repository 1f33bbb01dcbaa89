#include "tools/verb_progress.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "tools/index_progress.h"

namespace imgmount {
namespace {

// Every line written to stderr, and every redraw of the display, under one lock.
std::mutex stderr_mutex;
// The display being drawn (under stderr_mutex), or null.
ProgressDisplay* active_display = nullptr;

constexpr auto kQuietWait = std::chrono::milliseconds(500);
constexpr double kRedrawSeconds = 0.25;

}  // namespace

void WatchIndexing(const LazyImage& image, bool show) {
  if (!show) return;
  auto start = std::chrono::steady_clock::now();
  ProgressDisplay display(stderr, LayerLabels(image));
  bool drawn = false;
  while (!image.WaitFinished(kRedrawSeconds)) {
    if (std::chrono::steady_clock::now() - start < kQuietWait) continue;
    std::lock_guard lock(stderr_mutex);
    active_display = &display;
    display.Show(image.Progress());
    drawn = true;
  }
  if (!drawn) return;
  std::lock_guard lock(stderr_mutex);
  display.Clear();
  active_display = nullptr;
}

void WriteStderrLine(const std::string& line) {
  std::lock_guard lock(stderr_mutex);
  if (active_display != nullptr) active_display->Clear();
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace imgmount
