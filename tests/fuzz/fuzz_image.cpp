// libFuzzer target: a whole image container. The input is an outer tar (docker save,
// docker-archive or OCI archive; plain, gzip or zstd) opened in memory by the real tar container
// (OpenTarFiles) and read by ReadImage; uncompressed layers are indexed as well.
#include <cstddef>
#include <cstdint>
#include <string>

#include "index/layer/tar_indexer.h"
#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/image/tar_files.h"
#include "layers/source/basic_sources.h"
#include "tests/fuzz/fuzz_check.h"

namespace imgmount::fuzz {
namespace {

constexpr uint64_t kMaxIndexedLayer = 1u << 20;

// Reads the head of every layer blob and indexes the small uncompressed ones.
void UseImage(const Image& image) {
  DecodeOptions options;
  options.prefetch = false;
  options.span_bytes = 4096;
  for (const auto& layer : image.layers) {
    std::byte head[512];
    layer.blob->ReadAt(0, head);
    if (layer.blob->Size() > kMaxIndexedLayer || SniffCodec(*layer.blob) != Codec::kNone) continue;
    auto index = IndexLayer(layer, "fuzz layer", options, [](const std::string&) {});
    for (uint32_t i = 0; i < index->size(); ++i) (void)index->member(i);
  }
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  auto file = std::make_shared<MemorySource>(std::string(reinterpret_cast<const char*>(data), size),
                                             "fuzz.tar");
  try {
    auto files = OpenTarFiles(file, "fuzz.tar");
    (void)files->Exists("index.json");
    ImageSelector selector;
    imgmount::fuzz::UseImage(ReadImage(*files, selector));
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
  }
  return 0;
}
