#include "index/cache/content_hash_file.h"

#include <cstddef>
#include <ctime>

#include "layers/base/section_file.h"

namespace imgmount {

namespace {

constexpr char kMagic[] = "IMGMSUMS";
constexpr uint32_t kVersion = 1;
constexpr uint32_t kIdentitySection = SectionId("IDNT");
constexpr uint32_t kHeaderSection = SectionId("SUMH");
constexpr uint32_t kHashesSection = SectionId("SUMS");

struct SumsHeader {
  uint32_t member_count;
  uint32_t zero;
  int64_t written;
};
static_assert(sizeof(SumsHeader) == 16);

// The table in content_hash_file.h documents these offsets; keep them true.
static_assert(offsetof(HashRecord, data_offset) == 0 && offsetof(HashRecord, size) == 8 &&
              offsetof(HashRecord, member) == 16 && offsetof(HashRecord, zero) == 20 &&
              offsetof(HashRecord, hash) == 24);

// What is wrong with `r` as the record after member `previous` (-1 for the first), or "".
std::string RecordProblem(const HashRecord& r, int64_t previous, const LayerIndex& layer) {
  if (r.zero != 0 || static_cast<int64_t>(r.member) <= previous) return "records out of order";
  if (r.member >= layer.size()) return "a record names no member";
  if (layer.type(r.member) != MemberType::kRegular) return "a record names no regular file";
  const MemberRecord& m = layer.tables().members[r.member];
  if (m.data_offset != r.data_offset || m.size != r.size) return "a record names another file";
  return "";
}

}  // namespace

HashRecord MakeHashRecord(const LayerIndex& layer, uint32_t member, const ContentHash& hash) {
  const MemberRecord& m = layer.tables().members[member];
  HashRecord record;
  record.data_offset = m.data_offset;
  record.size = m.size;
  record.member = member;
  record.hash = hash;
  return record;
}

bool WriteContentHashFile(const std::string& path, const std::string& stem, uint32_t member_count,
                          const std::vector<HashRecord>& records, std::string* why) {
  SumsHeader header{member_count, 0, static_cast<int64_t>(std::time(nullptr))};
  SectionFileWriter writer(kMagic, kVersion);
  writer.AddOwned(kIdentitySection, EncodeFields({stem}));
  writer.Add(kHeaderSection, std::as_bytes(std::span(&header, 1)));
  writer.AddTable(kHashesSection, std::span<const HashRecord>(records));
  return writer.Write(path, why);
}

std::optional<std::vector<HashRecord>> ReadContentHashFile(const std::string& path,
                                                           const std::string& stem,
                                                           const LayerIndex& layer,
                                                           std::string* why) {
  auto file = SectionFile::Open(path, kMagic, kVersion, why);
  if (!file) return std::nullopt;
  auto identity = file->Section(kIdentitySection);
  auto header_bytes = file->Section(kHeaderSection);
  auto hash_bytes = file->Section(kHashesSection);
  auto fields = identity ? DecodeFields(*identity, 1) : std::nullopt;
  auto header = header_bytes ? AsTable<SumsHeader>(*header_bytes) : std::nullopt;
  auto records = hash_bytes ? AsTable<HashRecord>(*hash_bytes) : std::nullopt;
  if (!fields || !header || header->size() != 1 || (*header)[0].zero != 0 || !records) {
    *why = "missing or malformed sections";
    return std::nullopt;
  }
  if ((*fields)[0] != stem) {
    *why = "it belongs to another entry";
    return std::nullopt;
  }
  if ((*header)[0].member_count != layer.size()) {
    *why = "it was made for another index";
    return std::nullopt;
  }
  int64_t previous = -1;
  for (const HashRecord& r : *records) {
    *why = RecordProblem(r, previous, layer);
    if (!why->empty()) return std::nullopt;
    previous = r.member;
  }
  return std::vector<HashRecord>(records->begin(), records->end());
}

}  // namespace imgmount
