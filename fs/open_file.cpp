#include "fs/open_file.h"

#include <utility>

#include "index/layer/member_data.h"

namespace imgmount {

OpenFile::OpenFile(std::shared_ptr<const LayerIndex> layer, uint32_t member)
    : layer_(std::move(layer)), member_(layer_->member(member)) {}

std::optional<LentBytes> OpenFile::Lend(uint64_t offset, size_t size) const {
  return LendMemberData(*layer_, member_, offset, size);
}

size_t OpenFile::Read(uint64_t offset, std::span<std::byte> dst) const {
  return ReadMemberData(*layer_, member_, offset, dst);
}

std::optional<uint64_t> OpenFile::Seek(uint64_t offset, bool want_data) const {
  return SeekMemberData(*layer_, member_, offset, want_data);
}

}  // namespace imgmount
