// libFuzzer target: the gzip indexing pass (GzipPass) over arbitrary bytes with tiny spans, then
// random access through its access points (GzipSpanDecoder), checked against the pass's output.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/stream_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  imgmount::fuzz::CheckCodecPass(imgmount::Codec::kGzip, data, size);
  return 0;
}
