#include "index/cache/index_file.h"

#include <cstddef>
#include <cstring>

#include "index/layer/index_checks.h"
#include "layers/base/digest.h"
#include "layers/base/section_file.h"

namespace imgmount {

namespace {

constexpr char kMagic[] = "IMGMLAYR";
constexpr uint32_t kVersion = 3;
constexpr uint32_t kIdentitySection = SectionId("IDNT");
constexpr uint32_t kLayerSection = SectionId("LAYR");
constexpr uint32_t kMembersSection = SectionId("MEMB");
constexpr uint32_t kAttrsSection = SectionId("ATTR");
constexpr uint32_t kExtrasSection = SectionId("EXTR");
constexpr uint32_t kXattrsSection = SectionId("XATR");
constexpr uint32_t kSparseSection = SectionId("SPRS");
constexpr uint32_t kStringsSection = SectionId("STRS");
constexpr size_t kIdentityFields = 5;
constexpr uint32_t kVerified = 1;

struct LayerRecord {
  uint32_t flags;
  uint32_t zero;
  int64_t created;
};
static_assert(sizeof(LayerRecord) == 16);

// The table in index_file.h documents these offsets; keep them true.
static_assert(offsetof(MemberRecord, data_offset) == 0 && offsetof(MemberRecord, size) == 8 &&
              offsetof(MemberRecord, mtime_sec) == 16 &&
              offsetof(MemberRecord, path_offset) == 24 &&
              offsetof(MemberRecord, path_length) == 28 &&
              offsetof(MemberRecord, attr_index) == 32 &&
              offsetof(MemberRecord, extra_index) == 36 && sizeof(MemberRecord) == 40);
static_assert(offsetof(AttrRecord, mode) == 0 && offsetof(AttrRecord, type) == 2 &&
              offsetof(AttrRecord, reserved) == 3 && offsetof(AttrRecord, uid) == 4 &&
              offsetof(AttrRecord, gid) == 8 && offsetof(AttrRecord, dev_major) == 12 &&
              offsetof(AttrRecord, dev_minor) == 16 && sizeof(AttrRecord) == 20);
static_assert(offsetof(ExtraRecord, link_offset) == 0 && offsetof(ExtraRecord, link_length) == 4 &&
              offsetof(ExtraRecord, mtime_nsec) == 8 && offsetof(ExtraRecord, xattr_first) == 12 &&
              offsetof(ExtraRecord, xattr_count) == 16 &&
              offsetof(ExtraRecord, sparse_first) == 20 &&
              offsetof(ExtraRecord, sparse_count) == 24 && offsetof(ExtraRecord, flags) == 28 &&
              sizeof(ExtraRecord) == 32);
static_assert(sizeof(XattrRecord) == 16 && sizeof(SparseExtent) == 16);

bool DigestOk(const std::string& digest) {
  return digest.empty() || IsValidDigest(digest);
}

}  // namespace

bool WriteLayerIndexFile(const std::string& path, const LayerIndex& index,
                         const LayerFileInfo& info, uint64_t local_copy_size, std::string* why) {
  const IndexTables& t = index.tables();
  SectionFileWriter writer(kMagic, kVersion);
  writer.AddOwned(kIdentitySection, EncodeFields({info.key, info.origin, info.digests.blob,
                                                  info.digests.stream, info.local_copy_name}));
  LayerRecord layer{info.verified ? kVerified : 0, 0, info.created};
  writer.AddOwned(kLayerSection, std::string(reinterpret_cast<const char*>(&layer), sizeof layer));
  writer.AddTable(kMembersSection, t.members);
  writer.AddTable(kAttrsSection, t.attrs);
  writer.AddTable(kExtrasSection, t.extras);
  writer.AddTable(kXattrsSection, t.xattrs);
  writer.AddTable(kSparseSection, t.sparse);
  writer.Add(kStringsSection, std::as_bytes(std::span(t.strings.data(), t.strings.size())));
  AddStreamSections(writer, index.stream_index(), local_copy_size);
  return writer.Write(path, why);
}

std::optional<LayerIndexFile> ReadLayerIndexFile(const std::string& path,
                                                 std::optional<uint64_t> blob_size,
                                                 std::optional<Codec> codec, std::string* why) {
  auto file = SectionFile::Open(path, kMagic, kVersion, why);
  if (!file) return std::nullopt;
  auto fail = [&](const std::string& what) -> std::optional<LayerIndexFile> {
    *why = what;
    return std::nullopt;
  };
  auto identity = file->Section(kIdentitySection);
  auto layer_bytes = file->Section(kLayerSection);
  auto member_bytes = file->Section(kMembersSection);
  auto attr_bytes = file->Section(kAttrsSection);
  auto extra_bytes = file->Section(kExtrasSection);
  auto xattr_bytes = file->Section(kXattrsSection);
  auto sparse_bytes = file->Section(kSparseSection);
  auto strings = file->Section(kStringsSection);
  if (!identity || !layer_bytes || !member_bytes || !attr_bytes || !extra_bytes || !xattr_bytes ||
      !sparse_bytes || !strings) {
    return fail("a section is missing");
  }
  auto fields = identity ? DecodeFields(*identity, kIdentityFields) : std::nullopt;
  auto members = AsTable<MemberRecord>(*member_bytes);
  auto attrs = AsTable<AttrRecord>(*attr_bytes);
  auto extras = AsTable<ExtraRecord>(*extra_bytes);
  auto xattrs = AsTable<XattrRecord>(*xattr_bytes);
  auto sparse = AsTable<SparseExtent>(*sparse_bytes);
  if (!fields || layer_bytes->size() != sizeof(LayerRecord) || !members || !attrs || !extras ||
      !xattrs || !sparse) {
    return fail("a section is malformed");
  }
  LayerRecord layer;
  std::memcpy(&layer, layer_bytes->data(), sizeof layer);
  LayerIndexFile out;
  LayerFileInfo& info = out.info;
  info.key = (*fields)[0];
  info.origin = (*fields)[1];
  info.digests.blob = (*fields)[2];
  info.digests.stream = (*fields)[3];
  info.local_copy_name = (*fields)[4];
  info.verified = (layer.flags & kVerified) != 0;
  info.created = layer.created;
  if ((layer.flags & ~kVerified) != 0 || layer.zero != 0 || !IsValidDigest(info.key) ||
      !DigestOk(info.digests.blob) || !DigestOk(info.digests.stream) ||
      (info.verified && info.key != info.digests.blob && info.key != info.digests.stream)) {
    return fail("bad identity fields");
  }
  auto stored = ReadStreamSections(*file, blob_size, why);
  if (!stored) return std::nullopt;
  if (codec && stored->index.codec != *codec) {
    return fail(std::string("made for a ") + CodecName(stored->index.codec) +
                " blob, this one is " + CodecName(*codec));
  }
  if (UsesLocalCopy(stored->index) == info.local_copy_name.empty()) {
    return fail("the local copy's name and the access points disagree");
  }
  IndexTables& t = out.tables;
  t.members = *members;
  t.attrs = *attrs;
  t.extras = *extras;
  t.xattrs = *xattrs;
  t.sparse = *sparse;
  t.strings = std::string_view(reinterpret_cast<const char*>(strings->data()), strings->size());
  std::string problem = TablesProblem(t, stored->index.stream_size);
  if (!problem.empty()) return fail(problem);
  out.stream = std::move(*stored);
  out.owner = std::move(file);
  return out;
}

}  // namespace imgmount
