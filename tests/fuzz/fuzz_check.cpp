// FuzzBug and the read-position generator of the fuzz targets.
#include "tests/fuzz/fuzz_check.h"

#include <cstdio>
#include <cstdlib>

namespace imgmount::fuzz {

void FuzzBug(const std::string& what) {
  std::fprintf(stderr, "imgmount fuzz: BUG: %s\n", what.c_str());
  std::abort();
}

void NoteExpected(const std::string& what) {
  static const bool verbose = std::getenv("IMGMOUNT_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "imgmount fuzz: expected: %s\n", what.c_str());
}

uint64_t Rng::Next() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1Dull;
}

}  // namespace imgmount::fuzz
