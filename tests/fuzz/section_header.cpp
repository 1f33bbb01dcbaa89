#include "tests/fuzz/section_header.h"

#include <cstdint>
#include <cstring>
#include <span>

#include "layers/base/section_file.h"

namespace imgmount::fuzz {

void FixSectionHeader(std::string& bytes) {
  if (bytes.size() < kSectionHeaderBytes) return;
  uint64_t size = bytes.size();
  std::memcpy(bytes.data() + 16, &size, sizeof size);
  auto rest = std::as_bytes(std::span(bytes)).subspan(kSectionHeaderBytes);
  uint32_t crc = Crc32(0, rest);
  std::memcpy(bytes.data() + 28, &crc, sizeof crc);
}

}  // namespace imgmount::fuzz
