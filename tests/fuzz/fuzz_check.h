// Shared by the fuzz targets: how a target reports a real bug (a broken property, not an
// expected imgmount::Error), and a small deterministic generator for read positions.
#pragma once

#include <cstdint>
#include <string>

namespace imgmount::fuzz {

/// Prints "imgmount fuzz: BUG: WHAT" and aborts, so that libFuzzer saves the input as a crash.
[[noreturn]] void FuzzBug(const std::string& what);

/// Notes an expected failure (an imgmount::Error or a rejected index file): printed to stderr
/// when IMGMOUNT_FUZZ_VERBOSE is set, to see how far a seed gets; otherwise nothing.
void NoteExpected(const std::string& what);

/// A deterministic generator (xorshift64*) so that a saved input replays the same reads.
class Rng {
 public:
  /// A generator started from `seed`.
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  /// The next 64 random bits.
  uint64_t Next();
  /// A value in [0, n), 0 for n == 0.
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

}  // namespace imgmount::fuzz
