#include "layers/source/decode_permit.h"

#include <algorithm>
#include <semaphore>
#include <thread>

namespace imgmount {

namespace {

constexpr size_t kMostPermits = 16;

// Decodes running in this thread (more than one when nested).
thread_local size_t decoding_depth = 0;

std::counting_semaphore<kMostPermits>& Permits() {
  // Never destroyed: threads may still give permits back while the process exits.
  static auto* permits =
      new std::counting_semaphore<kMostPermits>(static_cast<std::ptrdiff_t>(DecodePermitCount()));
  return *permits;
}

}  // namespace

size_t DecodePermitCount() {
  // Two per core keep every core busy while some decodes wait for input; at least four so that a
  // sequential reader and the decoders running ahead of it never wait for each other.
  return std::clamp<size_t>(2 * std::thread::hardware_concurrency(), 4, kMostPermits);
}

DecodePermit::~DecodePermit() {
  if (taken_) Permits().release();
}

bool DecodePermit::held() const {
  return taken_ || decoding_depth > 0;
}

void DecodePermit::Acquire() {
  if (held()) return;
  Permits().acquire();
  taken_ = true;
}

DecodingScope::DecodingScope() {
  ++decoding_depth;
}

DecodingScope::~DecodingScope() {
  --decoding_depth;
}

}  // namespace imgmount
