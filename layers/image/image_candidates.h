// Internal to the image readers: every image (per platform) that a container offers, before one
// is chosen by name and platform.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "layers/image/image.h"
#include "layers/image/image_files.h"

namespace imgmount {

/// A layer as a manifest lists it.
struct LayerRef {
  std::string path;
  std::string digest;
  std::string media_type;
  /// The size its descriptor states (none in manifest.json).
  std::optional<uint64_t> size;
  /// The descriptor's annotations (key, value), e.g. where a zstd:chunked TOC lies.
  std::vector<std::pair<std::string, std::string>> annotations;
};

/// One image manifest (one platform of one named image) found in a container.
struct ImageCandidate {
  /// Identity of the top-level entry it came from; candidates of one group are platforms of one
  /// image.
  std::string group;
  std::vector<std::string> names;
  /// Platform from the index descriptor or the config, if known.
  std::optional<Platform> platform;
  std::string manifest_digest;
  /// Path of the manifest blob ("" for a docker save entry without one).
  std::string manifest_path;
  /// Path of the index that lists the manifest ("" for a manifest.json entry).
  std::string index_path;
  std::string config_path;
  std::string config_digest;
  /// The size the config's descriptor states (none in manifest.json).
  std::optional<uint64_t> config_size;
  std::vector<LayerRef> layers;
  /// Empty when usable, else why not (e.g. "manifest blob missing from the archive").
  std::string unavailable;
};

/// The images listed by a docker-save style manifest.json.
std::vector<ImageCandidate> DockerSaveCandidates(const ImageFiles& files);

/// The images reachable from an OCI layout's index.json (nested indexes followed; attestation
/// manifests skipped). Throws kBadImage if there is none.
std::vector<ImageCandidate> OciCandidates(const ImageFiles& files);

/// The size every descriptor reachable from index.json states, by digest: what a docker save
/// of Docker >= 25 says of the blobs its manifest.json names without sizes. Throws kBadImage if
/// two descriptors of one digest state different sizes.
std::map<std::string, uint64_t> OciDescriptorSizes(const ImageFiles& files);

/// Every image candidate of `files` (docker save or OCI) for `selector` (a platform the docker
/// save's manifest.json lacks brings in its OCI index). Throws kBadImage if it is neither.
std::vector<ImageCandidate> ContainerCandidates(const ImageFiles& files,
                                                const ImageSelector& selector);

/// The config of candidate `c`, checked against its descriptor.
ImageConfig ReadCandidateConfig(const ImageFiles& files, const ImageCandidate& c);

/// Reads and parses a small JSON file of the container.
std::string ReadSmallFile(const ImageFiles& files, const std::string& path);

/// Reads a small file that `digest` names and checks its content against it (a sha256 or sha512
/// digest; "" is not checked) and against `size` if given; throws kIntegrity "NAME: WHAT digest
/// mismatch: ..." or "NAME: WHAT size mismatch: ...".
std::string ReadVerifiedSmallFile(const ImageFiles& files, const std::string& path,
                                  const std::string& digest, const std::string& name,
                                  const char* what, std::optional<uint64_t> size = std::nullopt);

}  // namespace imgmount
