// libFuzzer target: tables of contents (toc_index.h) as hostile input. The input's first byte
// chooses the format (even: zstd:chunked, odd: eStargz) and the rest replaces the TOC's JSON of
// a small layer written by the fixture builder (three files, one of several chunks), with the
// TOC's annotation made to match, so that the parser, the checks and the chunk decoder all see
// it. Properties: indexing refuses (a warning, no index) or gives an index whose every regular
// member reads to its size or fails with an imgmount::Error; nothing else escapes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "index/layer/member_data.h"
#include "index/layer/toc_index.h"
#include "layers/base/error.h"
#include "layers/source/basic_sources.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/toc_layer.h"
#include "tests/support/toc_blob.h"

namespace imgmount::fuzz {
namespace {

void ReadAll(const LayerIndex& index) {
  std::vector<std::byte> buffer(64 * 1024);
  for (uint32_t i = 0; i < index.size(); ++i) {
    TarMember m = index.member(i);
    if (m.type != MemberType::kRegular) continue;
    try {
      for (uint64_t at = 0; at < m.size;) {
        size_t got = ReadMemberData(index, m, at, buffer);
        if (got == 0) FuzzBug("a member read short of its size: " + std::string(m.path));
        at += got;
      }
    } catch (const Error& e) {
      NoteExpected(e.what());
    }
  }
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  if (size == 0) return 0;
  std::string json(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto replace = [&json](std::string& toc) { toc = json; };
  LayerBlob blob;
  if (data[0] % 2 == 0) {
    fixture::ChunkedBlob chunked =
        fixture::MakeZstdChunked(fuzz::FuzzTocEntries(), fuzz::kFuzzTocChunk, replace);
    blob.blob = std::make_shared<MemorySource>(chunked.blob, "fuzz layer");
    blob.annotations = {
        {"io.github.containers.zstd-chunked.manifest-position", chunked.position},
        {"io.github.containers.zstd-chunked.manifest-checksum", chunked.toc_digest}};
  } else {
    fixture::EstargzBlob estargz =
        fixture::MakeEstargz(fuzz::FuzzTocEntries(), fuzz::kFuzzTocChunk, replace);
    blob.blob = std::make_shared<MemorySource>(estargz.blob, "fuzz layer");
    blob.annotations = {{"containerd.io/snapshot/stargz/toc.digest", estargz.toc_digest}};
  }
  DecodeOptions options;
  options.prefetch = false;
  auto index = IndexLayerFromToc(blob, "fuzz layer", options,
                                 [](const std::string& w) { fuzz::NoteExpected(w); });
  if (index) fuzz::ReadAll(*index);
  return 0;
}
