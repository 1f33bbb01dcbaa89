// libFuzzer target: the zstd indexing pass (ZstdPass, with its local copy of large frames) over
// arbitrary bytes with tiny spans, then random access (ZstdSpanDecoder) checked against the pass.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/stream_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  imgmount::fuzz::CheckCodecPass(imgmount::Codec::kZstd, data, size);
  return 0;
}
