// Content digests ("sha256:<64 hex>") as they appear in manifests, and the blob paths built
// from them. Only well-formed digests ever become paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgmount {

/// The hash functions a digest may name.
enum class DigestAlgorithm { kSha256, kSha512 };

/// The algorithm a digest names: kSha512 for "sha512:...", else kSha256.
DigestAlgorithm AlgorithmOf(std::string_view digest);

/// "sha256" or "sha512".
const char* DigestAlgorithmName(DigestAlgorithm algorithm);

/// Whether `digest` is "sha256:" + 64 or "sha512:" + 128 lower-case hex digits.
bool IsValidDigest(std::string_view digest);

/// "blobs/<alg>/<hex>" for a valid digest; throws kBadImage naming `where` otherwise.
std::string BlobPath(std::string_view digest, const std::string& where);

/// The digest a path "blobs/<alg>/<hex>" stands for, if it has that form.
std::optional<std::string> DigestFromBlobPath(std::string_view path);

}  // namespace imgmount
