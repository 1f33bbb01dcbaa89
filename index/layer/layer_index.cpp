#include "index/layer/layer_index.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <random>

#include "layers/base/decimal.h"
#include "layers/base/error.h"

namespace imgmount {

namespace {

uint64_t HashSeed() {
  std::random_device random;
  return uint64_t{random()} << 32 ^ random();
}

// The splitmix64 finaliser.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

uint64_t HashOf(const AttrRecord& a, uint64_t seed) {
  uint64_t h = Mix(seed ^ (uint64_t{a.mode} | uint64_t{a.type} << 16 | uint64_t{a.uid} << 32));
  h = Mix(h ^ (uint64_t{a.gid} | uint64_t{a.dev_major} << 32));
  return Mix(h ^ a.dev_minor);
}

// The first empty slot at or after `hash` (the table is a power of two, never full).
size_t FreeSlot(const std::vector<uint32_t>& slots, uint64_t hash) {
  size_t mask = slots.size() - 1;
  size_t slot = hash & mask;
  while (slots[slot] != 0) slot = (slot + 1) & mask;
  return slot;
}

}  // namespace

uint32_t MemberOwnerId(int64_t id) {
  if (id < 0 || id > std::numeric_limits<uint32_t>::max()) return 65534;  // nobody
  return static_cast<uint32_t>(id);
}

uint32_t TypeBits(MemberType type) {
  switch (type) {
    case MemberType::kDirectory:
      return S_IFDIR;
    case MemberType::kSymlink:
      return S_IFLNK;
    case MemberType::kCharDevice:
      return S_IFCHR;
    case MemberType::kBlockDevice:
      return S_IFBLK;
    case MemberType::kFifo:
      return S_IFIFO;
    case MemberType::kRegular:
    case MemberType::kHardlink:
      return S_IFREG;
  }
  return S_IFREG;
}

LayerIndex::LayerIndex(std::string name, IndexTables tables, std::shared_ptr<const void> owner)
    : name_(std::move(name)), tables_(tables), owner_(std::move(owner)) {}

std::string_view LayerIndex::path(uint32_t i) const {
  const MemberRecord& r = tables_.members[i];
  return tables_.strings.substr(r.path_offset, r.path_length);
}

TarMember LayerIndex::member(uint32_t i) const {
  static constexpr ExtraRecord kNone;
  const MemberRecord& r = tables_.members[i];
  const AttrRecord& a = tables_.attrs[r.attr_index];
  const ExtraRecord& e = r.extra_index == kNoExtra ? kNone : tables_.extras[r.extra_index];
  TarMember m;
  m.path = tables_.strings.substr(r.path_offset, r.path_length);
  m.type = static_cast<MemberType>(a.type);
  m.mode = a.mode;
  m.uid = a.uid;
  m.gid = a.gid;
  m.mtime_sec = r.mtime_sec;
  m.mtime_nsec = e.mtime_nsec;
  m.size = r.size;
  m.data_offset = r.data_offset;
  m.link_target = tables_.strings.substr(e.link_offset, e.link_length);
  m.dev_major = a.dev_major;
  m.dev_minor = a.dev_minor;
  for (const XattrRecord& x : tables_.xattrs.subspan(e.xattr_first, e.xattr_count)) {
    m.xattrs.emplace_back(tables_.strings.substr(x.name_offset, x.name_length),
                          tables_.strings.substr(x.value_offset, x.value_length));
  }
  m.is_sparse = (e.flags & kExtraSparse) != 0;
  m.sparse = tables_.sparse.subspan(e.sparse_first, e.sparse_count);
  return m;
}

void LayerIndex::AttachStream(SourcePtr stream, StreamIndex stream_index, LayerDigests digests) {
  stream_ = std::move(stream);
  stream_index_ = std::move(stream_index);
  digests_ = std::move(digests);
}

uint32_t LayerIndexBuilder::AddString(std::string_view text) {
  if (strings_.size() + text.size() > std::numeric_limits<uint32_t>::max()) {
    ThrowBadImage("the layer's names and attributes exceed 4 GiB");
  }
  auto offset = static_cast<uint32_t>(strings_.size());
  strings_.append(text);
  return offset;
}

uint32_t LayerIndexBuilder::InternAttr(const AttrRecord& attr) {
  static const uint64_t seed = HashSeed();
  if (attr_slots_.size() < 2 * (attrs_.size() + 1)) {
    attr_slots_.assign(std::max<size_t>(64, 4 * attr_slots_.size()), 0);
    for (size_t i = 0; i < attrs_.size(); ++i) {
      size_t slot = FreeSlot(attr_slots_, HashOf(attrs_[i], seed));
      attr_slots_[slot] = static_cast<uint32_t>(i + 1);
    }
  }
  size_t mask = attr_slots_.size() - 1;
  for (size_t slot = HashOf(attr, seed) & mask;; slot = (slot + 1) & mask) {
    uint32_t entry = attr_slots_[slot];
    if (entry == 0) {
      attrs_.push_back(attr);
      attr_slots_[slot] = static_cast<uint32_t>(attrs_.size());
      return static_cast<uint32_t>(attrs_.size() - 1);
    }
    if (attrs_[entry - 1] == attr) return entry - 1;
  }
}

uint64_t MaxEntries() {
  constexpr uint64_t kCeiling = std::numeric_limits<uint32_t>::max() - 1;
  const char* text = std::getenv("IMGMOUNT_MAX_ENTRIES");
  std::optional<uint64_t> value = ParseDecimal(text != nullptr ? text : "");
  if (value && *value > 0) return std::min<uint64_t>(*value, kCeiling);
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  uint64_t memory = pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
  return std::clamp<uint64_t>(memory / 2048, uint64_t{1} << 20, kCeiling);
}

void LayerIndexBuilder::Add(const NewMember& m) {
  if (members_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
    ThrowBadImage("the layer has more than 4 billion members");
  }
  MemberRecord r;
  r.data_offset = m.data_offset;
  r.size = m.size;
  r.mtime_sec = m.mtime_sec;
  r.path_offset = AddString(m.path);
  r.path_length = static_cast<uint32_t>(m.path.size());
  AttrRecord a;
  a.mode = static_cast<uint16_t>(m.mode & 07777);
  a.type = static_cast<uint8_t>(m.type);
  a.uid = m.uid;
  a.gid = m.gid;
  a.dev_major = m.dev_major;
  a.dev_minor = m.dev_minor;
  r.attr_index = InternAttr(a);
  const bool sparse = m.is_sparse || !m.sparse.empty();
  if (!m.link_target.empty() || m.mtime_nsec != 0 || !m.xattrs.empty() || sparse) {
    ExtraRecord e;
    e.link_offset = AddString(m.link_target);
    e.link_length = static_cast<uint32_t>(m.link_target.size());
    e.mtime_nsec = m.mtime_nsec;
    e.xattr_first = static_cast<uint32_t>(xattrs_.size());
    e.xattr_count = static_cast<uint32_t>(m.xattrs.size());
    for (const auto& [name, value] : m.xattrs) {
      XattrRecord x;
      x.name_offset = AddString(name);
      x.name_length = static_cast<uint32_t>(name.size());
      x.value_offset = AddString(value);
      x.value_length = static_cast<uint32_t>(value.size());
      xattrs_.push_back(x);
    }
    e.sparse_first = static_cast<uint32_t>(sparse_.size());
    e.sparse_count = static_cast<uint32_t>(m.sparse.size());
    sparse_.insert(sparse_.end(), m.sparse.begin(), m.sparse.end());
    e.flags = sparse ? kExtraSparse : 0;
    r.extra_index = static_cast<uint32_t>(extras_.size());
    extras_.push_back(e);
  }
  members_.push_back(r);
}

std::shared_ptr<LayerIndex> LayerIndexBuilder::Finish(std::string name) {
  // The vectors move into one owner object, so the spans stay valid as long as the index lives.
  struct Storage {
    std::vector<MemberRecord> members;
    std::vector<AttrRecord> attrs;
    std::vector<ExtraRecord> extras;
    std::vector<XattrRecord> xattrs;
    std::vector<SparseExtent> sparse;
    std::string strings;
  };
  auto storage = std::make_shared<Storage>();
  members_.shrink_to_fit();
  attrs_.shrink_to_fit();
  extras_.shrink_to_fit();
  storage->members = std::move(members_);
  storage->attrs = std::move(attrs_);
  storage->extras = std::move(extras_);
  storage->xattrs = std::move(xattrs_);
  storage->sparse = std::move(sparse_);
  storage->strings = std::move(strings_);
  storage->strings.shrink_to_fit();
  attr_slots_ = {};
  IndexTables tables{storage->members, storage->attrs,  storage->extras,
                     storage->xattrs,  storage->sparse, storage->strings};
  return std::make_shared<LayerIndex>(std::move(name), tables, std::move(storage));
}

}  // namespace imgmount
