#include "layers/image/archive_index.h"

#include <cstring>

#include "layers/base/member_path.h"
#include "layers/base/section_file.h"

namespace imgmount {

namespace {

constexpr char kMagic[] = "IMGMARCH";
constexpr uint32_t kVersion = 2;
constexpr uint32_t kIdentitySection = SectionId("IDNT");
constexpr uint32_t kEntriesSection = SectionId("ENTR");
constexpr uint32_t kNamesSection = SectionId("NAME");

struct EntryRecord {
  uint64_t offset;
  uint64_t size;
  uint32_t path_offset;
  uint32_t path_length;
  uint32_t link_offset;
  uint32_t link_length;
  uint32_t kind;
  uint32_t zero;
};
static_assert(sizeof(EntryRecord) == 40);

bool InRange(std::string_view names, uint32_t offset, uint32_t length) {
  return offset <= names.size() && length <= names.size() - offset;
}

}  // namespace

bool WriteArchiveIndexFile(const std::string& path, const ArchiveIndex& index,
                           const std::string& identity, const std::string& local_copy_name,
                           uint64_t local_copy_size, std::string* why) {
  std::vector<EntryRecord> entries;
  std::string names;
  for (const auto& [name, member] : index.members) {
    if (names.size() + name.size() + member.link.size() > UINT32_MAX) {
      *why = "the archive's names exceed 4 GiB";
      return false;
    }
    EntryRecord r{member.offset,
                  member.size,
                  static_cast<uint32_t>(names.size()),
                  static_cast<uint32_t>(name.size()),
                  0,
                  0,
                  member.kind,
                  0};
    names += name;
    r.link_offset = static_cast<uint32_t>(names.size());
    r.link_length = static_cast<uint32_t>(member.link.size());
    names += member.link;
    entries.push_back(r);
  }
  SectionFileWriter writer(kMagic, kVersion);
  writer.AddOwned(kIdentitySection, EncodeFields({identity, local_copy_name}));
  writer.AddTable(kEntriesSection, std::span<const EntryRecord>(entries));
  writer.Add(kNamesSection, std::as_bytes(std::span(names)));
  AddStreamSections(writer, index.stream, local_copy_size);
  return writer.Write(path, why);
}

std::optional<ArchiveIndexFile> ReadArchiveIndexFile(const std::string& path,
                                                     std::optional<uint64_t> file_size,
                                                     std::string* why) {
  auto file = SectionFile::Open(path, kMagic, kVersion, why);
  if (!file) return std::nullopt;
  auto identity = file->Section(kIdentitySection);
  auto entry_bytes = file->Section(kEntriesSection);
  auto name_bytes = file->Section(kNamesSection);
  if (!identity || !entry_bytes || !name_bytes) {
    *why = "a section is missing";
    return std::nullopt;
  }
  auto fields = DecodeFields(*identity, 2);
  auto entries = AsTable<EntryRecord>(*entry_bytes);
  if (!fields || !entries) {
    *why = "a section is malformed";
    return std::nullopt;
  }
  auto stored = ReadStreamSections(*file, file_size, why);
  if (!stored) return std::nullopt;
  ArchiveIndexFile out;
  out.identity = (*fields)[0];
  out.local_copy_name = (*fields)[1];
  std::string_view names(reinterpret_cast<const char*>(name_bytes->data()), name_bytes->size());
  uint64_t stream_size = stored->index.stream_size;
  for (const EntryRecord& r : *entries) {
    std::string at = "member " + std::to_string(out.index.members.size());
    if (r.kind > ArchiveMember::kOther || r.zero != 0 ||
        !InRange(names, r.path_offset, r.path_length) ||
        !InRange(names, r.link_offset, r.link_length)) {
      *why = at + " is malformed";
      return std::nullopt;
    }
    std::string name(names.substr(r.path_offset, r.path_length));
    ArchiveMember member;
    member.kind = static_cast<ArchiveMember::Kind>(r.kind);
    member.offset = r.offset;
    member.size = r.size;
    member.link = names.substr(r.link_offset, r.link_length);
    auto normal = NormalizeMemberPath(name);
    bool link_ok =
        member.kind != ArchiveMember::kHardlink || NormalizeMemberPath(member.link) == member.link;
    bool data_ok = member.offset <= stream_size && member.size <= stream_size - member.offset;
    if (name.empty() || normal != name || !link_ok || !data_ok) {
      *why = at + " has an unsafe name, link or data range";
      return std::nullopt;
    }
    if (!out.index.members.emplace(std::move(name), std::move(member)).second) {
      *why = at + " appears twice";
      return std::nullopt;
    }
  }
  out.index.stream = stored->index;
  out.stored = std::move(*stored);
  return out;
}

}  // namespace imgmount
