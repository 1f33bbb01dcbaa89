#include "layers/registry/remote_blob_source.h"

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"

namespace imgmount {

RemoteBlobSource::RemoteBlobSource(std::shared_ptr<const RegistryClient> client, std::string digest,
                                   uint64_t size)
    : client_(std::move(client)), digest_(std::move(digest)), size_(size) {}

size_t RemoteBlobSource::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_ || dst.empty()) return 0;
  uint64_t length = std::min<uint64_t>(dst.size(), size_ - offset);
  std::string bytes = client_->GetBlobRange(digest_, offset, length);
  if (bytes.size() < length) {
    throw Error(ErrorKind::kIo, EIO,
                Describe() + ": the registry sent " + std::to_string(bytes.size()) +
                    " bytes for a range of " + std::to_string(length) + " at offset " +
                    std::to_string(offset) + " (the blob is " + std::to_string(size_) + " bytes)");
  }
  std::memcpy(dst.data(), bytes.data(), length);
  return length;
}

std::string RemoteBlobSource::Describe() const {
  return client_->reference().given + ": blob " + digest_;
}

}  // namespace imgmount
