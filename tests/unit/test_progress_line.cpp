// The terminal progress display's lines (tools/progress_line.h): percentage, bar, rate and ETA
// worked out by hand; a layer from the index cache says "cached"; no line is ever wider than
// asked, however long the label; and the progress reports carry "cached" from the mount process
// to the command that shows them (tools/index_progress.h).
#include <catch2/catch.hpp>

#include "tools/index_progress.h"
#include "tools/progress_line.h"

namespace imgmount {
namespace {

LayerProgress Layer(LayerProgress::State state, uint64_t done, uint64_t total, double seconds,
                    bool cached = false) {
  LayerProgress p;
  p.state = state;
  p.done = done;
  p.total = total;
  p.seconds = seconds;
  p.cached = cached;
  return p;
}

constexpr auto kIndexing = LayerProgress::State::kIndexing;
constexpr auto kReady = LayerProgress::State::kReady;

}  // namespace

TEST_CASE("progress line: percentage, bar, rate and ETA", "[progress]") {
  // 1 MiB of 4 MiB in 2 s: 25%, 5 of 20 cells, 512 KiB/s, 3 MiB left = 6 s.
  LayerProgress p = Layer(kIndexing, 1 << 20, 4 << 20, 2.0);
  CHECK(ProgressLine("layer 1", p, 80) ==
        "layer 1:  25% [#####---------------] 512.0 KiB/s ETA 0:06");
  // Nothing read yet: no rate, so no ETA either.
  CHECK(ProgressLine("layer 2", Layer(kIndexing, 0, 100, 0.5), 80) ==
        "layer 2:   0% [--------------------] 0 B/s ETA --:--");
  // Done: 100%, a full bar, the rate of the whole layer.
  CHECK(ProgressLine("layer 3", Layer(kReady, 1500, 1500, 1.5), 80) ==
        "layer 3: 100% [####################] 1000 B/s done");
  CHECK(ProgressLine("layer 4", Layer(LayerProgress::State::kQueued, 0, 10, 0), 80) ==
        "layer 4: waiting");
  CHECK(ProgressLine("layer 5", Layer(LayerProgress::State::kFailed, 5, 10, 1), 80) ==
        "layer 5: failed");
}

TEST_CASE("progress line: a layer from the cache says cached, not a rate", "[progress]") {
  // Loaded in 1 ms: the rate would read as about 14.7 GiB/s for a 15 MiB layer.
  LayerProgress p = Layer(kReady, 15 << 20, 15 << 20, 0.001, true);
  CHECK(ProgressLine("layer 1 (sha256:0123456789ab)", p, 80) ==
        "layer 1 (sha256:0123456789ab): cached");
}

TEST_CASE("progress line: cut to the width, bar first, then the label", "[progress]") {
  LayerProgress p = Layer(kIndexing, 1 << 20, 4 << 20, 2.0);
  // "layer 1: " (9) + " 25%" (4) + " [" + 20 cells + "]" (23) + " 512.0 KiB/s ETA 0:06" (21).
  std::string full = ProgressLine("layer 1", p, 80);
  CHECK(full.size() == 57);
  CHECK(ProgressLine("layer 1", p, 57) == full);
  // Two columns less: the bar loses two cells (18 cells, a quarter of them 4 when rounded down).
  CHECK(ProgressLine("layer 1", p, 55) ==
        "layer 1:  25% [####--------------] 512.0 KiB/s ETA 0:06");
  // Room for 5 cells keeps a bar (1 filled); for 4 it goes.
  CHECK(ProgressLine("layer 1", p, 42) == "layer 1:  25% [#----] 512.0 KiB/s ETA 0:06");
  CHECK(ProgressLine("layer 1", p, 41) == "layer 1:  25% 512.0 KiB/s ETA 0:06");
  // Then the label is cut: 30 columns leave 30 - 2 - 25 = 3 for it.
  CHECK(ProgressLine("layer 1", p, 30) == "lay:  25% 512.0 KiB/s ETA 0:06");
  // Then the line itself, without a label.
  CHECK(ProgressLine("layer 1", p, 10) == " 25% 512.0");
  CHECK(ProgressLine("layer 1", p, 0).empty());
}

TEST_CASE("progress line: never wider than asked, whatever the label", "[progress]") {
  std::string label = "layer 12 (sha256:0123456789ab) caf\xc3\xa9 \xe2\x86\x92 x";
  for (size_t width = 0; width <= 90; ++width) {
    for (const LayerProgress& p :
         {Layer(kIndexing, 7, 1000, 3), Layer(kReady, 1000, 1000, 3),
          Layer(kReady, 1000, 1000, 0.001, true), Layer(LayerProgress::State::kQueued, 0, 1, 0)}) {
      std::string line = ProgressLine(label, p, width);
      INFO("width " << width << ": " << line);
      CHECK(DisplayWidth(line) <= width);
    }
  }
  // A cut never splits a UTF-8 character: "é" is one column of two bytes.
  CHECK(CutToWidth("caf\xc3\xa9!", 4) == "caf\xc3\xa9");
  CHECK(CutToWidth("caf\xc3\xa9!", 3) == "caf");
  CHECK(DisplayWidth("caf\xc3\xa9") == 4);
}

TEST_CASE("progress line: ETA and bar pieces", "[progress]") {
  CHECK(FormatEta(0) == "0:00");
  CHECK(FormatEta(59.4) == "0:59");
  CHECK(FormatEta(61) == "1:01");
  CHECK(FormatEta(3599) == "59:59");
  CHECK(FormatEta(3600) == "1:00:00");
  CHECK(FormatEta(90061) == "25:01:01");
  CHECK(FormatEta(-1) == "--:--");
  CHECK(ProgressBar(0, 0, 4) == "----");
  CHECK(ProgressBar(1, 3, 6) == "##----");
  CHECK(ProgressBar(5, 3, 4) == "####");
}

TEST_CASE("progress reports carry a layer from the cache", "[progress]") {
  std::vector<LayerProgress> layers = {Layer(kReady, 10, 10, 0.25, true),
                                       Layer(kIndexing, 5, 10, 1.5)};
  std::string text = EncodeProgress(layers);
  CHECK(text == "r,10,10,250,c i,5,10,1500");
  auto back = DecodeProgress(text);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].cached);
  CHECK((*back)[0].state == kReady);
  CHECK_FALSE((*back)[1].cached);
  CHECK((*back)[1].done == 5);
  CHECK((*back)[1].seconds == 1.5);
  // The form without the flag (an older report) still reads; an unknown flag does not.
  CHECK(DecodeProgress("r,10,10,2")->at(0).cached == false);
  CHECK_FALSE(DecodeProgress("r,10,10,2,x"));
}

}  // namespace imgmount
