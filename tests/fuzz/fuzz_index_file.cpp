// libFuzzer target: the index-file loaders (ReadLayerIndexFile, ReadArchiveIndexFile over
// SectionFile and the stream sections) on arbitrary bytes; a file they accept is then used as
// the index cache would use it: the union built from its tables, its files read, its stream
// reopened over a stand-in blob of zeros.
//
// Byte 0 is a flag: when bit 0 is set and the rest is at least a header long, the target writes
// the true file size and CRC-32 into the header first, so that mutations reach the checks behind
// the CRC (which alone would reject almost every mutated file).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "index/cache/index_file.h"
#include "index/union/union_builder.h"
#include "index/union/union_tree.h"
#include "layers/base/error.h"
#include "layers/base/section_file.h"
#include "layers/codecs/codec_choice.h"
#include "layers/image/archive_index.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/section_header.h"
#include "tests/fuzz/temp_file.h"
#include "tests/fuzz/zero_source.h"

namespace imgmount::fuzz {
namespace {

// The stream of a loaded index over zeros of the blob's size; null if it does not open.
SourcePtr OpenStream(const StoredStream& stored) {
  DecodeOptions options;
  options.prefetch = false;
  options.cache_bytes = 1u << 20;
  auto blob = std::make_shared<ZeroSource>(stored.index.blob_size, "zero blob");
  SourcePtr copy;
  if (UsesLocalCopy(stored.index)) {
    copy = std::make_shared<ZeroSource>(stored.local_copy_size, "zero copy");
    if (!LocalCopyProblem(*copy, stored).empty()) return nullptr;
  }
  try {
    return OpenIndexed(blob, stored.index, "fuzz index", options, copy);
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
    return nullptr;
  }
}

// Uses a loaded layer index as a mount would: members, union, file reads.
void UseLayer(LayerIndexFile& file) {
  auto index = std::make_shared<LayerIndex>("fuzz layer", file.tables, file.owner);
  SourcePtr stream = OpenStream(file.stream);
  if (!stream) stream = std::make_shared<ZeroSource>(file.stream.index.stream_size, "zeros");
  index->AttachStream(stream, file.stream.index, file.info.digests);
  for (uint32_t i = 0; i < index->size(); ++i) (void)index->member(i);
  try {
    auto tree = BuildUnionTree({index}, [](const std::string&) {});
    std::vector<std::byte> buffer(512);
    for (uint32_t id = 0; id < tree->inode_count(); ++id) {
      auto member = tree->member(id);
      if (!member || member->type != MemberType::kRegular) continue;
      try {
        tree->Read(id, 0, buffer);
      } catch (const Error& e) {
        imgmount::fuzz::NoteExpected(e.what());
      }
    }
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
  }
}

// Reads the first byte of up to 16 files of a loaded archive index.
void UseArchive(const ArchiveIndexFile& file) {
  SourcePtr stream = OpenStream(file.stored);
  if (!stream) return;
  std::byte byte[1];
  int reads = 0;
  for (const auto& [path, member] : file.index.members) {
    if (member.kind != ArchiveMember::kFile || ++reads > 16) continue;
    try {
      stream->ReadAt(member.offset, byte);
    } catch (const Error& e) {
      imgmount::fuzz::NoteExpected(e.what());
    }
  }
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  using namespace imgmount::fuzz;
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) FixSectionHeader(bytes);
  static TempFile file("imgmount-fuzz-index");
  file.Write(bytes);
  std::string why;
  if (auto layer = ReadLayerIndexFile(file.path(), std::nullopt, std::nullopt, &why)) {
    UseLayer(*layer);
  } else {
    NoteExpected("layer index: " + why);
  }
  if (auto archive = ReadArchiveIndexFile(file.path(), std::nullopt, &why)) {
    UseArchive(*archive);
  } else {
    NoteExpected("archive index: " + why);
  }
  return 0;
}
