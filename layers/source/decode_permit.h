// How many spans the process decodes at once. Each decode holds a span's buffer and a decoder's
// state, so without a bound the memory of decoding grows with the number of threads asking (16
// FUSE threads, each missing a different span of a small cache, held 16 spans at once).
//
// A decode nested in another (a layer inside a compressed outer archive reads the outer stream
// while decoding its own span) takes no permit of its own: the outer decode's covers it, and
// waiting there could deadlock when decodes like it hold every permit. For the same reason a
// caller takes its permit before it claims a span to decode, never while others may be waiting
// for a span it claimed.
#pragma once

#include <cstddef>

namespace imgmount {

/// Most spans decoded at once in the process (nested decodes aside).
size_t DecodePermitCount();

/// One permit to decode, held from Acquire until destruction.
class DecodePermit {
 public:
  /// No permit yet.
  DecodePermit() = default;
  /// Gives the permit back, if one was taken.
  ~DecodePermit();
  DecodePermit(const DecodePermit&) = delete;
  DecodePermit& operator=(const DecodePermit&) = delete;

  /// Whether this thread may decode now: it holds this permit or runs inside a decode already.
  bool held() const;

  /// Waits until a permit is free and takes it (nothing to wait for inside a decode). The caller
  /// must not hold a claimed span or a lock others need meanwhile.
  void Acquire();

 private:
  bool taken_ = false;
};

/// Marks the calling thread as decoding while it lives, so that decodes nested in it need no
/// permit.
class DecodingScope {
 public:
  /// Enters a decode.
  DecodingScope();
  /// Leaves it.
  ~DecodingScope();
  DecodingScope(const DecodingScope&) = delete;
  DecodingScope& operator=(const DecodingScope&) = delete;
};

}  // namespace imgmount
