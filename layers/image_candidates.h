// Internal to the image readers: every image (per platform) that a container offers, before one
// is chosen by name and platform.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/image.h"
#include "layers/image_files.h"

namespace imgmount {

/// A layer as a manifest lists it.
struct LayerRef {
  std::string path;
  std::string digest;
  std::string media_type;
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
  std::string config_path;
  std::string config_digest;
  std::vector<LayerRef> layers;
  /// Empty when usable, else why not (e.g. "manifest blob missing from the archive").
  std::string unavailable;
};

/// The images listed by a docker-save style manifest.json.
std::vector<ImageCandidate> DockerSaveCandidates(const ImageFiles& files);

/// The images reachable from an OCI layout's index.json (nested indexes followed; attestation
/// manifests skipped).
std::vector<ImageCandidate> OciCandidates(const ImageFiles& files);

/// Reads and parses a small JSON file of the container.
std::string ReadSmallFile(const ImageFiles& files, const std::string& path);

/// Reads a small file that `digest` names and checks its content against it (a sha256 digest;
/// others, and "", are not checked); throws kIntegrity "NAME: WHAT digest mismatch: ...".
std::string ReadVerifiedSmallFile(const ImageFiles& files, const std::string& path,
                                  const std::string& digest, const std::string& name,
                                  const char* what);

}  // namespace imgmount
