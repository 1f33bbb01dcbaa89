#include "layers/base/digest.h"

#include "layers/base/error.h"
#include "layers/base/member_path.h"

namespace imgmount {

bool IsValidDigest(std::string_view digest) {
  size_t hex_length = 0;
  std::string_view hex;
  if (digest.starts_with("sha256:")) {
    hex_length = 64;
    hex = digest.substr(7);
  } else if (digest.starts_with("sha512:")) {
    hex_length = 128;
    hex = digest.substr(7);
  } else {
    return false;
  }
  if (hex.size() != hex_length) return false;
  for (char c : hex) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok) return false;
  }
  return true;
}

std::string BlobPath(std::string_view digest, const std::string& where) {
  if (!IsValidDigest(digest)) {
    ThrowBadImage(where + ": invalid digest \"" + std::string(digest.substr(0, 80)) + "\"");
  }
  return "blobs/" + std::string(digest.substr(0, 6)) + "/" + std::string(digest.substr(7));
}

std::optional<std::string> DigestFromBlobPath(std::string_view path) {
  auto normalized = NormalizeMemberPath(path);
  if (!normalized) return std::nullopt;
  std::string_view p = *normalized;
  if (!p.starts_with("blobs/")) return std::nullopt;
  p.remove_prefix(6);
  size_t slash = p.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string digest = std::string(p.substr(0, slash)) + ":" + std::string(p.substr(slash + 1));
  if (!IsValidDigest(digest)) return std::nullopt;
  return digest;
}

DigestAlgorithm AlgorithmOf(std::string_view digest) {
  return digest.starts_with("sha512:") ? DigestAlgorithm::kSha512 : DigestAlgorithm::kSha256;
}

const char* DigestAlgorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha512 ? "sha512" : "sha256";
}

}  // namespace imgmount
