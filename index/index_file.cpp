#include "index/index_file.h"

#include <cstddef>
#include <cstring>
#include <limits>

#include "layers/digest.h"
#include "layers/section_file.h"
#include "layers/tar_path.h"

namespace imgmount {

namespace {

constexpr char kMagic[] = "IMGMLAYR";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kIdentitySection = SectionId("IDNT");
constexpr uint32_t kLayerSection = SectionId("LAYR");
constexpr uint32_t kMembersSection = SectionId("MEMB");
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
              offsetof(MemberRecord, link_offset) == 32 && offsetof(MemberRecord, mode) == 40 &&
              offsetof(MemberRecord, type) == 42 && offsetof(MemberRecord, uid) == 44 &&
              offsetof(MemberRecord, mtime_nsec) == 52 && offsetof(MemberRecord, dev_major) == 56 &&
              offsetof(MemberRecord, xattr_first) == 64 &&
              offsetof(MemberRecord, sparse_first) == 72 && sizeof(MemberRecord) == 80);
static_assert(sizeof(XattrRecord) == 16 && sizeof(SparseExtent) == 16);

bool InRange(std::string_view strings, uint32_t offset, uint32_t length) {
  return offset <= strings.size() && length <= strings.size() - offset;
}

bool InTable(size_t table_size, uint32_t first, uint32_t count) {
  return first <= table_size && count <= table_size - first;
}

bool IsNormalPath(std::string_view path) {
  auto normal = NormalizeMemberPath(std::string(path));
  return normal && *normal == path;
}

// What is wrong with member `r`, or "" if nothing.
std::string MemberProblem(const MemberRecord& r, const IndexTables& t, uint64_t stream_size) {
  if (r.type > static_cast<uint8_t>(MemberType::kFifo) || r.reserved != 0 || r.mode > 07777 ||
      r.mtime_nsec >= 1000000000) {
    return "bad type, mode or time";
  }
  if (!InRange(t.strings, r.path_offset, r.path_length) ||
      !InRange(t.strings, r.link_offset, r.link_length) ||
      !InTable(t.xattrs.size(), r.xattr_first, r.xattr_count) ||
      !InTable(t.sparse.size(), r.sparse_first, r.sparse_count)) {
    return "a range outside its table";
  }
  if (!IsNormalPath(t.strings.substr(r.path_offset, r.path_length))) return "an unsafe path";
  auto type = static_cast<MemberType>(r.type);
  std::string_view link = t.strings.substr(r.link_offset, r.link_length);
  if (type == MemberType::kHardlink) {
    if (link.empty() || !IsNormalPath(link)) return "an unsafe hardlink target";
  } else if (type == MemberType::kSymlink) {
    if (link.find('\0') != std::string_view::npos) return "a NUL in a symlink target";
  } else if (!link.empty()) {
    return "a link target on a member that is no link";
  }
  bool device = type == MemberType::kCharDevice || type == MemberType::kBlockDevice;
  if (!device && (r.dev_major != 0 || r.dev_minor != 0)) return "device numbers on a non-device";
  for (const XattrRecord& x : t.xattrs.subspan(r.xattr_first, r.xattr_count)) {
    if (!InRange(t.strings, x.name_offset, x.name_length) ||
        !InRange(t.strings, x.value_offset, x.value_length) || x.name_length == 0 ||
        t.strings.substr(x.name_offset, x.name_length).find('\0') != std::string_view::npos) {
      return "a bad extended attribute";
    }
  }
  if (r.data_offset > stream_size) return "data past the end of the stream";
  if (type != MemberType::kRegular) {
    return r.size == 0 && r.sparse_count == 0 ? "" : "a size on a member that is no file";
  }
  uint64_t stored = r.size;
  if (r.sparse_count > 0) {
    stored = 0;
    for (const SparseExtent& e : t.sparse.subspan(r.sparse_first, r.sparse_count)) {
      if (e.offset > r.size || e.length > r.size - e.offset) return "a sparse run past its size";
      if (e.length > std::numeric_limits<uint64_t>::max() - stored) return "a sparse overflow";
      stored += e.length;
    }
  }
  if (stored > stream_size - r.data_offset) return "data past the end of the stream";
  return "";
}

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
  auto xattr_bytes = file->Section(kXattrsSection);
  auto sparse_bytes = file->Section(kSparseSection);
  auto strings = file->Section(kStringsSection);
  if (!identity || !layer_bytes || !member_bytes || !xattr_bytes || !sparse_bytes || !strings) {
    return fail("a section is missing");
  }
  auto fields = identity ? DecodeFields(*identity, kIdentityFields) : std::nullopt;
  auto members = AsTable<MemberRecord>(*member_bytes);
  auto xattrs = AsTable<XattrRecord>(*xattr_bytes);
  auto sparse = AsTable<SparseExtent>(*sparse_bytes);
  if (!fields || layer_bytes->size() != sizeof(LayerRecord) || !members || !xattrs || !sparse ||
      members->size() >= std::numeric_limits<uint32_t>::max() ||
      strings->size() > std::numeric_limits<uint32_t>::max()) {
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
  t.xattrs = *xattrs;
  t.sparse = *sparse;
  t.strings = std::string_view(reinterpret_cast<const char*>(strings->data()), strings->size());
  for (size_t i = 0; i < t.members.size(); ++i) {
    std::string problem = MemberProblem(t.members[i], t, stored->index.stream_size);
    if (!problem.empty()) return fail("member " + std::to_string(i) + " has " + problem);
  }
  out.stream = std::move(*stored);
  out.owner = std::move(file);
  return out;
}

}  // namespace imgmount
