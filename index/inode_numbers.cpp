#include "index/inode_numbers.h"

#include <algorithm>
#include <cstring>

#include "layers/sha256.h"

namespace imgmount {

InodeNumbering::InodeNumbering(const std::vector<uint32_t>& member_counts) {
  base_.reserve(member_counts.size() + 1);
  uint64_t sum = 0;
  for (uint32_t count : member_counts) {
    base_.push_back(sum);
    sum += count;
  }
  base_.push_back(sum);
}

bool InodeNumbering::ToMember(uint64_t ino, uint32_t& layer, uint32_t& member) const {
  if (ino < 2 || ino - 2 >= base_.back()) return false;
  uint64_t global = ino - 2;
  // The last position whose base is <= global (positions with no members share a base).
  auto it = std::upper_bound(base_.begin(), base_.end() - 1, global);
  size_t position = static_cast<size_t>(it - base_.begin()) - 1;
  layer = static_cast<uint32_t>(position);
  member = static_cast<uint32_t>(global - base_[position]);
  return true;
}

uint64_t ImpliedDirIno(std::string_view path) {
  Sha256 hash;
  hash.Update(std::as_bytes(std::span(path.data(), path.size())));
  std::string hex = hash.Finish();  // "sha256:" + 64 hex digits
  uint64_t value = std::stoull(hex.substr(7, 16), nullptr, 16);
  return (uint64_t{1} << 63) | (value >> 1);
}

}  // namespace imgmount
