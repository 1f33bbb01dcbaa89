#include "layers/source/source_digest.h"

#include <algorithm>
#include <vector>

#include "layers/base/hasher.h"

namespace imgmount {
namespace {

// How far ahead of the position the source is told the bytes will be read.
constexpr uint64_t kAdviseAhead = 16 << 20;

}  // namespace

std::string DigestOfSource(const ByteSource& source, DigestAlgorithm algorithm) {
  Hasher hash(algorithm);
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  uint64_t advised = 0;
  while (true) {
    // Asked for ahead of the position, so a file's reads (a registry's stream) overlap hashing.
    if (offset + kAdviseAhead / 2 >= advised && advised < source.Size()) {
      uint64_t end = std::min(source.Size(), offset + kAdviseAhead);
      source.WillNeed(advised, end - advised);
      advised = end;
    }
    size_t got = source.ReadAt(offset, buffer);
    if (got == 0) break;
    hash.Update(std::span(buffer.data(), got));
    offset += got;
  }
  return hash.Finish();
}

}  // namespace imgmount
