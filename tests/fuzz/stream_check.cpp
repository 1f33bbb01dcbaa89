// CheckCodecPass: the indexing pass with tiny spans, then reads at deterministic pseudo-random
// offsets compared byte for byte with the pass's output. Errors of the pass are expected; any
// error or difference afterwards is a bug.
#include "tests/fuzz/stream_check.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/basic_sources.h"
#include "layers/source/scratch_file.h"
#include "layers/stream/span_cache.h"
#include "tests/fuzz/fuzz_check.h"

namespace imgmount::fuzz {
namespace {

// Reads [offset, offset + length) of `source` and compares it with `expected`.
void CompareRead(const ByteSource& source, const std::string& expected, uint64_t offset,
                 size_t length, const char* what) {
  std::vector<std::byte> buffer(length);
  size_t n = 0;
  try {
    n = source.ReadAt(offset, buffer);
  } catch (const Error& e) {
    FuzzBug(std::string(what) + ": read at " + std::to_string(offset) +
            " failed after a clean pass: " + e.what());
  }
  size_t want = offset >= expected.size()
                    ? 0
                    : static_cast<size_t>(std::min<uint64_t>(length, expected.size() - offset));
  if (n != want) {
    FuzzBug(std::string(what) + ": read at " + std::to_string(offset) + " returned " +
            std::to_string(n) + " bytes, expected " + std::to_string(want));
  }
  if (n > 0 && std::memcmp(buffer.data(), expected.data() + offset, n) != 0) {
    FuzzBug(std::string(what) + ": read at " + std::to_string(offset) + " differs from the pass");
  }
}

// A fixed set of reads: the whole stream, the end, and pseudo-random pieces of several sizes.
void CompareReads(const ByteSource& source, const std::string& expected, uint64_t seed,
                  const char* what) {
  if (source.Size() != expected.size()) {
    FuzzBug(std::string(what) + ": size " + std::to_string(source.Size()) + ", the pass made " +
            std::to_string(expected.size()));
  }
  Rng rng(seed);
  static constexpr size_t kLengths[] = {1, 7, 511, 1024, 3000, 70000};
  for (int i = 0; i < 24; ++i) {
    uint64_t offset = rng.Below(expected.size() + 2);
    CompareRead(source, expected, offset, kLengths[rng.Below(std::size(kLengths))], what);
  }
  CompareRead(source, expected, expected.size(), 16, what);
  CompareRead(source, expected, 0, expected.size() + 1, what);
}

}  // namespace

void CheckCodecPass(Codec codec, const uint8_t* data, size_t size) {
  if (size < 1) return;
  DecodeOptions options;
  options.span_bytes = (data[0] & 1) != 0 ? kMinSpanBytes : 4 * kMinSpanBytes;
  options.hash = (data[0] & 2) != 0;
  options.cache_bytes = (data[0] & 4) != 0 ? 0 : 256u << 10;
  options.prefetch = false;
  auto blob = std::make_shared<MemorySource>(
      std::string(reinterpret_cast<const char*>(data) + 1, size - 1), "fuzz blob");

  std::unique_ptr<DecodePass> pass;
  SourcePtr stream;
  std::string output;
  try {
    pass = StartDecodePass(blob, codec, "fuzz blob", options);
    std::vector<std::byte> buffer(64u << 10);
    while (size_t n = pass->Read(buffer)) {
      output.append(reinterpret_cast<const char*>(buffer.data()), n);
      if (output.size() > kMaxFuzzStream) return;
    }
    stream = pass->Finish();
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
    return;
  }
  uint64_t seed = output.size() ^ (static_cast<uint64_t>(data[0]) << 32);
  CompareReads(*stream, output, seed, "the pass's source");

  SourcePtr reopened;
  try {
    reopened = OpenIndexed(blob, pass->Index(), "fuzz blob", options, pass->LocalCopy());
  } catch (const Error& e) {
    FuzzBug(std::string("the index of a clean pass does not reopen: ") + e.what());
  }
  CompareReads(*reopened, output, seed + 1, "the reopened source");
}

}  // namespace imgmount::fuzz
