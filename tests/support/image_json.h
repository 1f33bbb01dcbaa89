// The JSON documents of container images (configs, manifests, indexes, docker save metadata),
// written with RapidJSON in a fixed key order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/image_writer.h"

namespace imgmount::fixture {

/// The media types of one family (OCI or Docker v2 schema 2).
struct MediaTypes {
  std::string manifest;    ///< image manifest
  std::string index;       ///< image index / manifest list
  std::string config;      ///< image config
  std::string layer;       ///< uncompressed layer
  std::string layer_gzip;  ///< gzip layer
  std::string layer_zstd;  ///< zstd layer
};

/// The OCI image-spec media types.
const MediaTypes& OciMediaTypes();

/// The Docker v2 schema 2 media types (zstd layers keep the OCI type, Docker has none).
const MediaTypes& DockerMediaTypes();

/// The layer media type of a family for a compression method.
const std::string& LayerMediaType(const MediaTypes& types, Compression compression);

/// A content descriptor, optionally with annotations and a platform.
struct Descriptor {
  std::string media_type;                                        ///< mediaType
  std::string digest;                                            ///< "sha256:<hex>"
  uint64_t size = 0;                                             ///< size of the blob in bytes
  std::vector<std::pair<std::string, std::string>> annotations;  ///< omitted when empty
  std::string os;            ///< platform os; no platform object when empty
  std::string architecture;  ///< platform architecture
  std::string variant;       ///< platform variant, omitted when empty
};

/// Describes a blob by media type and bytes.
Descriptor DescribeBlob(const std::string& media_type, const std::string& bytes);

/// An image config with `rootfs.diff_ids`; validates history against the layer count.
std::string ConfigJson(const ImageConfig& config, const std::vector<std::string>& diff_ids);

/// An image manifest (schemaVersion 2) of the given family.
std::string ManifestJson(const MediaTypes& types, const Descriptor& config,
                         const std::vector<Descriptor>& layers);

/// An image index / manifest list; `null_manifests` writes "manifests": null instead.
std::string IndexJson(const std::string& media_type, const std::vector<Descriptor>& manifests,
                      bool null_manifests = false);

/// One entry of docker save's manifest.json.
struct DockerManifestEntry {
  std::string config;               ///< path of the config file in the archive
  std::vector<std::string> tags;    ///< RepoTags
  std::vector<std::string> layers;  ///< paths of the layer files in the archive
};

/// docker save's manifest.json.
std::string DockerManifestJson(const std::vector<DockerManifestEntry>& entries);

/// docker save's `repositories`: {name: {tag: top layer id}} for each reference.
std::string RepositoriesJson(const std::vector<std::pair<std::string, std::string>>& ref_to_id);

/// The legacy per-layer `<id>/json` document; `config` is set for the top layer only.
std::string V1LayerJson(const std::string& id, const std::string& parent,
                        const ImageConfig* config);

/// The oci-layout file.
std::string OciLayoutJson();

}  // namespace imgmount::fixture
