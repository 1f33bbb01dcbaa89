// File content of the union: a regular file's inode names the member that supplies it, whose
// data member_data.cpp reads from the layer's uncompressed stream.
#include "index/layer/member_data.h"
#include "index/union/union_tree.h"
#include "layers/base/error.h"

namespace imgmount {

TarMember UnionTree::RegularMember(uint32_t id, const char* op) const {
  if (id >= tables_.inodes.size()) {
    throw Error(ErrorKind::kInternal, EINVAL,
                std::string(op) + ": no inode " + std::to_string(id) + " in the union");
  }
  const UnionInode& inode = tables_.inodes[id];
  if (inode.type != MemberType::kRegular) {
    int err = inode.type == MemberType::kDirectory ? EISDIR : EINVAL;
    throw Error(ErrorKind::kUsage, err,
                std::string(op) + ": inode " + std::to_string(id) + " is not a regular file");
  }
  return *member(id);
}

size_t UnionTree::Read(uint32_t id, uint64_t offset, std::span<std::byte> dst) const {
  const TarMember m = RegularMember(id, "read");
  return ReadMemberData(*layers_[tables_.inodes[id].layer], m, offset, dst);
}

uint64_t UnionTree::StoredBytes(uint32_t id) const {
  if (id >= tables_.inodes.size() || tables_.inodes[id].type != MemberType::kRegular) return 0;
  return MemberStoredBytes(*member(id));
}

std::optional<uint64_t> UnionTree::SeekData(uint32_t id, uint64_t offset, bool want_data) const {
  const TarMember m = RegularMember(id, "lseek");
  return SeekMemberData(*layers_[tables_.inodes[id].layer], m, offset, want_data);
}

}  // namespace imgmount
