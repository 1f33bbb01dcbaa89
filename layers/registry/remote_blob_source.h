// A blob in a registry as a byte source: every ReadAt is one ranged GET (`Range: bytes=a-b`).
// No cache and no read-ahead yet: the first step of issue 17's remote byte source.
#pragma once

#include <memory>
#include <string>

#include "layers/registry/registry_client.h"
#include "layers/source/byte_source.h"

namespace imgmount {

/// The bytes of blob `digest` of the client's repository, read with ranged GETs. Nothing is
/// checked against the digest here: that is the indexing pass's job, as for local blobs.
class RemoteBlobSource final : public ByteSource {
 public:
  /// A source of `size` bytes (as the registry states it) of blob `digest`.
  RemoteBlobSource(std::shared_ptr<const RegistryClient> client, std::string digest, uint64_t size);

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override;

 private:
  std::shared_ptr<const RegistryClient> client_;
  std::string digest_;
  uint64_t size_;
};

}  // namespace imgmount
