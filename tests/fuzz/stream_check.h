// The property the codec fuzz targets check: a decoding pass over arbitrary bytes either fails
// with an Error or yields a stream whose random-access reads (through the pass's source and
// through a source reopened from the pass's index) return exactly what the pass produced.
#pragma once

#include <cstddef>
#include <cstdint>

#include "layers/stream/decode_pass.h"

namespace imgmount::fuzz {

/// Most uncompressed bytes a codec target decodes; a longer stream (a bomb) is not checked.
inline constexpr size_t kMaxFuzzStream = 8u << 20;

/// Runs the check on `data`: byte 0 picks the options (span size, hashing), the rest is the blob.
void CheckCodecPass(Codec codec, const uint8_t* data, size_t size);

}  // namespace imgmount::fuzz
