#include "index/union/inode_numbers.h"

#include <string>

#include "layers/base/hasher.h"

namespace imgmount {

bool InoToMember(uint64_t ino, uint32_t& layer, uint32_t& member) {
  uint64_t high = ino >> 32;
  if (high == 0 || IsDirectoryIno(ino)) return false;
  layer = static_cast<uint32_t>(high - 1);
  member = static_cast<uint32_t>(ino & 0xffffffffu);
  return true;
}

uint64_t DirectoryIno(std::string_view path) {
  Hasher hash;
  hash.Update(std::as_bytes(std::span(path.data(), path.size())));
  std::string hex = hash.Finish();  // "sha256:" + 64 hex digits
  uint64_t value = std::stoull(hex.substr(7, 16), nullptr, 16);
  return (uint64_t{1} << 63) | (value >> 1);
}

}  // namespace imgmount
