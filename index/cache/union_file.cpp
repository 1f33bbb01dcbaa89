#include "index/cache/union_file.h"

#include <algorithm>
#include <cstring>
#include <ctime>

#include "index/cache/cache_dir.h"
#include "index/union/union_checks.h"
#include "layers/base/digest.h"
#include "layers/base/section_file.h"

namespace imgmount {

namespace {

constexpr char kMagic[] = "IMGMUNIO";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kUnionSection = SectionId("UNIO");
constexpr uint32_t kIdentitySection = SectionId("IDNT");
constexpr uint32_t kLayersSection = SectionId("LAYR");
constexpr uint32_t kWarningsSection = SectionId("WARN");
constexpr uint32_t kInodesSection = SectionId("INOD");
constexpr uint32_t kDirentsSection = SectionId("DENT");
constexpr uint32_t kNamesSection = SectionId("NAME");
constexpr uint32_t kMemberIdsSection = SectionId("MIDS");
constexpr uint32_t kDirectoryIdsSection = SectionId("DIDS");
// More layers than this are no image (the manifest readers refuse far fewer).
constexpr uint32_t kMaxLayers = 1u << 16;

struct UnionRecord {
  uint32_t layer_count;
  uint32_t warning_count;
  int64_t created;
};
static_assert(sizeof(UnionRecord) == 16);

struct LayerPrint {
  uint64_t members = 0;
  uint64_t bytes = 0;
  uint32_t crc = 0;
  uint32_t zero = 0;
  bool operator==(const LayerPrint&) const = default;
};
static_assert(sizeof(LayerPrint) == 24);

// The table in union_file.h documents these layouts; keep them true.
static_assert(offsetof(UnionInode, ino) == 0 && offsetof(UnionInode, type) == 8 &&
              offsetof(UnionInode, reserved) == 9 && offsetof(UnionInode, mode) == 12 &&
              offsetof(UnionInode, uid) == 16 && offsetof(UnionInode, gid) == 20 &&
              offsetof(UnionInode, mtime_sec) == 24 && offsetof(UnionInode, mtime_nsec) == 32 &&
              offsetof(UnionInode, reserved2) == 36 && offsetof(UnionInode, size) == 40 &&
              offsetof(UnionInode, nlink) == 48 && offsetof(UnionInode, layer) == 52 &&
              offsetof(UnionInode, member) == 56 && offsetof(UnionInode, parent) == 60 &&
              offsetof(UnionInode, first_child) == 64 && offsetof(UnionInode, child_count) == 68 &&
              sizeof(UnionInode) == 72);
static_assert(offsetof(UnionDirent, name_offset) == 0 && offsetof(UnionDirent, name_length) == 4 &&
              offsetof(UnionDirent, inode) == 8 && sizeof(UnionDirent) == 12);
static_assert(offsetof(DirectoryIdRecord, ino) == 0 && offsetof(DirectoryIdRecord, id) == 8 &&
              offsetof(DirectoryIdRecord, reserved) == 12 && sizeof(DirectoryIdRecord) == 16);

template <class T>
void AddToPrint(LayerPrint& print, std::span<const T> rows) {
  auto bytes = std::as_bytes(rows);
  print.crc = Crc32(print.crc, bytes);
  print.bytes += bytes.size();
}

// What identifies the tables of one layer index.
LayerPrint PrintOf(const LayerIndex& layer) {
  const IndexTables& t = layer.tables();
  LayerPrint print;
  print.members = t.members.size();
  AddToPrint(print, t.members);
  AddToPrint(print, t.attrs);
  AddToPrint(print, t.extras);
  AddToPrint(print, t.xattrs);
  AddToPrint(print, t.sparse);
  AddToPrint(print, std::span<const char>(t.strings.data(), t.strings.size()));
  return print;
}

// The parts of a mapped union file, its tables sized but not yet checked against layers.
struct UnionParts {
  std::shared_ptr<const SectionFile> file;
  UnionRecord record{};
  std::vector<std::string> identity;
  std::span<const LayerPrint> prints;
  std::vector<std::string> warnings;
  UnionTables tables;
};

std::optional<UnionParts> OpenParts(const std::string& path, std::string* why) {
  UnionParts parts;
  parts.file = SectionFile::Open(path, kMagic, kVersion, why);
  if (!parts.file) return std::nullopt;
  auto fail = [&](const char* what) -> std::optional<UnionParts> {
    *why = what;
    return std::nullopt;
  };
  const SectionFile& f = *parts.file;
  auto record = f.Section(kUnionSection);
  auto identity = f.Section(kIdentitySection);
  auto layers = f.Section(kLayersSection);
  auto warnings = f.Section(kWarningsSection);
  auto inodes = f.Section(kInodesSection);
  auto dirents = f.Section(kDirentsSection);
  auto names = f.Section(kNamesSection);
  auto member_ids = f.Section(kMemberIdsSection);
  auto directory_ids = f.Section(kDirectoryIdsSection);
  if (!record || !identity || !layers || !warnings || !inodes || !dirents || !names ||
      !member_ids || !directory_ids) {
    return fail("a section is missing");
  }
  if (record->size() != sizeof(UnionRecord)) return fail("a section is malformed");
  std::memcpy(&parts.record, record->data(), sizeof parts.record);
  if (parts.record.layer_count > kMaxLayers) return fail("implausible layer count");
  auto fields = DecodeFields(*identity, size_t{1} + parts.record.layer_count);
  auto warning_fields = DecodeFields(*warnings, parts.record.warning_count);
  auto prints = AsTable<LayerPrint>(*layers);
  auto inode_table = AsTable<UnionInode>(*inodes);
  auto dirent_table = AsTable<UnionDirent>(*dirents);
  auto member_table = AsTable<uint32_t>(*member_ids);
  auto directory_table = AsTable<DirectoryIdRecord>(*directory_ids);
  if (!fields || !warning_fields || !prints || prints->size() != parts.record.layer_count ||
      !inode_table || inode_table->empty() || !dirent_table || !member_table || !directory_table) {
    return fail("a section is malformed");
  }
  // The chain id and the stems are printed by `cache ls` and the stems make paths of layer
  // index files: only the forms the cache itself writes.
  if (!IsValidDigest((*fields)[0]) ||
      !std::all_of(fields->begin() + 1, fields->end(),
                   [](const std::string& stem) { return StemOf(stem + ".idx") == stem; })) {
    return fail("a section is malformed");
  }
  parts.identity = std::move(*fields);
  parts.warnings = std::move(*warning_fields);
  parts.prints = *prints;
  parts.tables = {*inode_table, *dirent_table,
                  std::string_view(reinterpret_cast<const char*>(names->data()), names->size()),
                  *member_table, *directory_table};
  return parts;
}

}  // namespace

bool WriteUnionFile(const std::string& path, const UnionTree& tree, const std::string& chain_id,
                    const std::vector<std::string>& layer_stems,
                    const std::vector<std::string>& warnings, std::string* why) {
  const UnionTables& t = tree.tables();
  if (layer_stems.size() != tree.layers().size()) {
    *why = "the union has " + std::to_string(tree.layers().size()) + " layers, not " +
           std::to_string(layer_stems.size());
    return false;
  }
  UnionRecord record{static_cast<uint32_t>(layer_stems.size()),
                     static_cast<uint32_t>(warnings.size()),
                     static_cast<int64_t>(std::time(nullptr))};
  std::vector<std::string> identity{chain_id};
  identity.insert(identity.end(), layer_stems.begin(), layer_stems.end());
  std::vector<LayerPrint> prints;
  for (const auto& layer : tree.layers()) prints.push_back(PrintOf(*layer));
  SectionFileWriter writer(kMagic, kVersion);
  writer.AddOwned(kUnionSection,
                  std::string(reinterpret_cast<const char*>(&record), sizeof record));
  writer.AddOwned(kIdentitySection, EncodeFields(identity));
  writer.AddTable(kLayersSection, std::span<const LayerPrint>(prints));
  writer.AddOwned(kWarningsSection, EncodeFields(warnings));
  writer.AddTable(kInodesSection, t.inodes);
  writer.AddTable(kDirentsSection, t.dirents);
  writer.Add(kNamesSection, std::as_bytes(std::span(t.names.data(), t.names.size())));
  writer.AddTable(kMemberIdsSection, t.member_ids);
  writer.AddTable(kDirectoryIdsSection, t.directory_ids);
  return writer.Write(path, why);
}

std::optional<LoadedUnion> ReadUnionFile(const std::string& path, const std::string& chain_id,
                                         const std::vector<std::string>& layer_stems,
                                         std::vector<std::shared_ptr<const LayerIndex>> layers,
                                         std::string* why) {
  auto parts = OpenParts(path, why);
  if (!parts) return std::nullopt;
  auto fail = [&](const std::string& what) -> std::optional<LoadedUnion> {
    *why = what;
    return std::nullopt;
  };
  if (parts->identity[0] != chain_id) return fail("filed under another chain of layers");
  if (layers.size() != layer_stems.size() || parts->prints.size() != layers.size() ||
      !std::equal(layer_stems.begin(), layer_stems.end(), parts->identity.begin() + 1)) {
    return fail("made for other layers");
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!(parts->prints[i] == PrintOf(*layers[i]))) {
      return fail("made for another index of layer " + std::to_string(i + 1));
    }
  }
  std::string problem = UnionTablesProblem(parts->tables, layers);
  if (!problem.empty()) return fail(problem);
  LoadedUnion out;
  out.warnings = std::move(parts->warnings);
  out.tree =
      std::make_shared<const UnionTree>(std::move(layers), parts->tables, std::move(parts->file));
  return out;
}

std::optional<UnionFileInfo> ReadUnionFileInfo(const std::string& path, std::string* why) {
  auto parts = OpenParts(path, why);
  if (!parts) return std::nullopt;
  UnionFileInfo info;
  info.chain_id = parts->identity[0];
  info.layer_stems.assign(parts->identity.begin() + 1, parts->identity.end());
  info.inodes = parts->tables.inodes.size();
  info.created = parts->record.created;
  return info;
}

}  // namespace imgmount
