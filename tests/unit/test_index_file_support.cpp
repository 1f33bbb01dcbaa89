#include "tests/unit/test_index_file_support.h"

#include <catch2/catch.hpp>

#include "index/cache/index_file.h"
#include "index/layer/tar_indexer.h"
#include "layers/source/scratch_file.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount::testing {

Written IndexAndWrite(const TempDir& dir, const std::vector<TarEntry>& entries, Compression method,
                      DecodeOptions options) {
  Written w;
  w.blob = MakeBlob(BuildTar(entries), method);
  std::shared_ptr<const ScratchFile> copy;
  options.scratch_dir = dir.path();
  w.index = IndexLayer(w.blob, "layer 1", options, {}, &copy);
  LayerFileInfo info;
  info.key = w.blob.digest;
  info.digests = w.index->digests();
  info.verified = info.digests.blob == info.key;
  if (!info.verified) info.origin = "image file";
  info.created = 1700000000;
  uint64_t copy_size = 0;
  if (copy) {
    info.local_copy_name = "sha256-x.0000000000000000.zst";
    copy_size = copy->Size();
  }
  w.path = dir / "layer.idx";
  std::string why;
  REQUIRE(WriteLayerIndexFile(w.path, *w.index, info, copy_size, &why));
  w.bytes = ReadFileBytes(w.path);
  return w;
}

Written IndexAndWrite(const TempDir& dir, Compression method, size_t big, DecodeOptions options) {
  return IndexAndWrite(dir, RichLayerEntries(big), method, options);
}

std::string Refusal(const TempDir& dir, const Written& w, const std::string& bytes) {
  std::string path = dir / "mutated.idx";
  WriteFileBytes(path, bytes);
  std::string why;
  auto file = ReadLayerIndexFile(path, w.blob.blob->Size(), SniffCodec(*w.blob.blob), &why);
  if (file) return "";
  CHECK_FALSE(why.empty());
  return why;
}

uint64_t SectionOffset(const std::string& bytes, uint32_t id) {
  uint32_t count = 0;
  std::memcpy(&count, bytes.data() + 24, 4);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t entry_id = 0;
    uint64_t offset = 0;
    std::memcpy(&entry_id, bytes.data() + kSectionHeaderBytes + kSectionEntryBytes * i, 4);
    std::memcpy(&offset, bytes.data() + kSectionHeaderBytes + kSectionEntryBytes * i + 8, 8);
    if (entry_id == id) return offset;
  }
  FAIL("no such section");
  return 0;
}

void FixChecksum(std::string& bytes) {
  uint32_t crc = Crc32(0, std::as_bytes(std::span(bytes).subspan(kSectionHeaderBytes)));
  std::memcpy(bytes.data() + 28, &crc, 4);
}

}  // namespace imgmount::testing
