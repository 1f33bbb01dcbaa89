#include "index/layer_index.h"

#include <sys/stat.h>

#include <limits>

#include "layers/error.h"

namespace imgmount {

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
  const MemberRecord& r = tables_.members[i];
  TarMember m;
  m.path = tables_.strings.substr(r.path_offset, r.path_length);
  m.type = static_cast<MemberType>(r.type);
  m.mode = r.mode;
  m.uid = r.uid;
  m.gid = r.gid;
  m.mtime_sec = r.mtime_sec;
  m.mtime_nsec = r.mtime_nsec;
  m.size = r.size;
  m.data_offset = r.data_offset;
  m.link_target = tables_.strings.substr(r.link_offset, r.link_length);
  m.dev_major = r.dev_major;
  m.dev_minor = r.dev_minor;
  for (const XattrRecord& x : tables_.xattrs.subspan(r.xattr_first, r.xattr_count)) {
    m.xattrs.emplace_back(tables_.strings.substr(x.name_offset, x.name_length),
                          tables_.strings.substr(x.value_offset, x.value_length));
  }
  m.sparse = tables_.sparse.subspan(r.sparse_first, r.sparse_count);
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
  r.link_offset = AddString(m.link_target);
  r.link_length = static_cast<uint32_t>(m.link_target.size());
  r.mode = static_cast<uint16_t>(m.mode & 07777);
  r.type = static_cast<uint8_t>(m.type);
  r.uid = m.uid;
  r.gid = m.gid;
  r.mtime_nsec = m.mtime_nsec;
  r.dev_major = m.dev_major;
  r.dev_minor = m.dev_minor;
  r.xattr_first = static_cast<uint32_t>(xattrs_.size());
  r.xattr_count = static_cast<uint32_t>(m.xattrs.size());
  for (const auto& [name, value] : m.xattrs) {
    XattrRecord x;
    x.name_offset = AddString(name);
    x.name_length = static_cast<uint32_t>(name.size());
    x.value_offset = AddString(value);
    x.value_length = static_cast<uint32_t>(value.size());
    xattrs_.push_back(x);
  }
  r.sparse_first = static_cast<uint32_t>(sparse_.size());
  r.sparse_count = static_cast<uint32_t>(m.sparse.size());
  sparse_.insert(sparse_.end(), m.sparse.begin(), m.sparse.end());
  members_.push_back(r);
}

std::shared_ptr<LayerIndex> LayerIndexBuilder::Finish(std::string name) {
  // The vectors move into one owner object, so the spans stay valid as long as the index lives.
  struct Storage {
    std::vector<MemberRecord> members;
    std::vector<XattrRecord> xattrs;
    std::vector<SparseExtent> sparse;
    std::string strings;
  };
  auto storage = std::make_shared<Storage>();
  members_.shrink_to_fit();
  storage->members = std::move(members_);
  storage->xattrs = std::move(xattrs_);
  storage->sparse = std::move(sparse_);
  storage->strings = std::move(strings_);
  storage->strings.shrink_to_fit();
  IndexTables tables{storage->members, storage->xattrs, storage->sparse, storage->strings};
  return std::make_shared<LayerIndex>(std::move(name), tables, std::move(storage));
}

}  // namespace imgmount
