// Content descriptors and manifest headers of OCI and Docker v2 schema 2 documents, checked as
// umoci and go-containerregistry check them: a descriptor names its blob by a well-formed
// digest and states its exact size; an index or manifest says schemaVersion 2.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "layers/image/json.h"
#include "layers/source/byte_source.h"

namespace imgmount {

/// The fields of a descriptor that imgmount uses, each of the type the image spec requires.
struct BlobDescriptor {
  /// "mediaType", or "" when absent.
  std::string media_type;
  /// "digest", well formed ("sha256:" + 64 or "sha512:" + 128 lower-case hex digits).
  std::string digest;
  /// "size": the blob's exact length in bytes.
  uint64_t size = 0;
  /// "annotations" in document order (key, value).
  std::vector<std::pair<std::string, std::string>> annotations;
};

/// Parses the descriptor `value` of `doc` (`what` names it: "manifest", "config", "layer"):
/// throws kBadImage unless it is an object with a well-formed digest, a size that is an integer
/// in [0, 2^63), a string mediaType if any, and annotations (if any) mapping strings to strings.
BlobDescriptor ParseDescriptor(const JsonDoc& doc, const rapidjson::Value& value, const char* what);

/// Throws kBadImage unless the root object of `doc` (an image index or manifest) has
/// "schemaVersion": 2 and a string mediaType if any.
void CheckManifestHeader(const JsonDoc& doc);

/// The oci-layout file of a layout imgmount makes up for an image held elsewhere.
inline constexpr const char* kOciLayoutJson = R"({"imageLayoutVersion":"1.0.0"})";

/// Whether `type` is an OCI or Docker v2 image manifest, image index or manifest list.
bool IsManifestMediaType(const std::string& type);

/// The index.json of a made-up layout holding one manifest or index: its media type, digest and
/// size, and one annotation (`annotation_key` = `annotation_value`) unless the key is "".
std::string OneManifestIndexJson(const std::string& media_type, const std::string& digest,
                                 uint64_t size, const std::string& annotation_key,
                                 const std::string& annotation_value);

/// "its descriptor says STATED bytes, the blob has ACTUAL" if they differ, else "".
std::string SizeProblem(uint64_t stated, uint64_t actual);

/// Throws kIntegrity "NAME: WHAT size mismatch: ..." unless `blob` holds exactly `size` bytes.
void CheckBlobSize(const ByteSource& blob, uint64_t size, const std::string& name,
                   const std::string& what);

}  // namespace imgmount
