#include "layers/source/source_digest.h"

#include <vector>

#include "layers/base/hasher.h"

namespace imgmount {

std::string DigestOfSource(const ByteSource& source, DigestAlgorithm algorithm) {
  Hasher hash(algorithm);
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  while (size_t got = source.ReadAt(offset, buffer)) {
    hash.Update(std::span(buffer.data(), got));
    offset += got;
  }
  return hash.Finish();
}

}  // namespace imgmount
