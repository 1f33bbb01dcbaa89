// libFuzzer target: the tar indexer (IndexLayer over TarWalker) on an uncompressed layer, then
// the union of that one layer (and of the layer over itself) with every path resolved and every
// regular file read, and a round trip of the index through the index-file writer and reader,
// which must accept what the writer wrote.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "index/cache/index_file.h"
#include "index/layer/tar_indexer.h"
#include "index/union/union_builder.h"
#include "index/union/union_tree.h"
#include "layers/base/error.h"
#include "layers/source/basic_sources.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/temp_file.h"

namespace imgmount::fuzz {
namespace {

// Resolves every member path of the tree and reads the first and last bytes of its files.
void ReadUnion(const UnionTree& tree) {
  std::vector<std::byte> buffer(4096);
  for (uint32_t id = 0; id < tree.inode_count(); ++id) {
    (void)tree.children(id);
    auto member = tree.member(id);
    if (member) (void)tree.Resolve(member->path);
    if (!member || (member->type != MemberType::kRegular && member->type != MemberType::kHardlink))
      continue;
    try {
      tree.Read(id, 0, buffer);
      if (member->size > buffer.size()) tree.Read(id, member->size - 1, buffer);
      (void)tree.SeekData(id, 0, false);
    } catch (const Error& e) {
      imgmount::fuzz::NoteExpected(e.what());
    }
  }
}

// Writes the index as the cache would and requires the reader to take it back whole.
void RoundTrip(const LayerIndex& index) {
  static TempFile file("imgmount-fuzz-tar");
  LayerFileInfo info;
  info.key = "sha256:" + std::string(64, '0');
  info.origin = "fuzz input";
  info.digests = index.digests();
  std::string why;
  if (!WriteLayerIndexFile(file.path(), index, info, 0, &why)) FuzzBug("cannot write: " + why);
  auto loaded = ReadLayerIndexFile(file.path(), index.stream_index().blob_size, Codec::kNone, &why);
  if (!loaded) FuzzBug("the index file of a layer does not load back: " + why);
  if (loaded->tables.members.size() != index.size()) FuzzBug("member count differs after loading");
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(std::string(reinterpret_cast<const char*>(data), size),
                                             "fuzz layer");
  if (SniffCodec(*blob.blob) != Codec::kNone) return 0;
  DecodeOptions options;
  options.prefetch = false;
  std::shared_ptr<LayerIndex> index;
  try {
    index = IndexLayer(blob, "fuzz layer", options, [](const std::string&) {});
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
    return 0;
  }
  imgmount::fuzz::RoundTrip(*index);
  try {
    imgmount::fuzz::ReadUnion(*BuildUnionTree({index}, [](const std::string&) {}));
    imgmount::fuzz::ReadUnion(*BuildUnionTree({index, index}, [](const std::string&) {}));
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
  }
  return 0;
}
