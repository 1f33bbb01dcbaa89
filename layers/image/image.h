// The image model: what an image reader extracts from a container (manifests and config), and
// the choice of one image and platform out of an archive that holds several.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers/image/image_files.h"
#include "layers/image/platform.h"
#include "layers/source/byte_source.h"

namespace imgmount {

/// One line of the config's history, like `docker history`.
struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

/// The parts of an image config that imgmount shows and uses.
struct ImageConfig {
  Platform platform;
  /// The top-level "created" and "author" ("" when absent).
  std::string created;
  std::string author;
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::string working_dir;
  std::string user;
  std::vector<std::string> exposed_ports;
  std::vector<std::string> volumes;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::string> diff_ids;
  std::vector<HistoryEntry> history;
};

/// Parses a config blob; `name` names it in errors.
ImageConfig ParseImageConfig(const std::string& json, const std::string& name);

/// One layer blob of the chosen image, bottom first.
struct LayerBlob {
  /// "sha256:<hex>" of the blob when the format states it, else empty (Docker <= 24 tars).
  std::string digest;
  /// "sha256:<hex>" of the uncompressed tar, from the config's rootfs.diff_ids.
  std::string diff_id;
  /// Media type from the manifest, or empty.
  std::string media_type;
  /// Path of the blob inside the container.
  std::string path;
  /// The size the blob's descriptor states, if the format states one.
  std::optional<uint64_t> descriptor_size;
  /// The annotations of the blob's descriptor (key, value); none if the format has none.
  std::vector<std::pair<std::string, std::string>> annotations;
  /// The blob's bytes.
  SourcePtr blob;
};

/// Which image of an archive to open.
struct ImageSelector {
  /// A name or tag ("node:20", "20", "docker.io/library/node:20"); empty = the only one.
  std::string name;
  /// Explicit platform; nullopt = the host's, or the only one.
  std::optional<Platform> platform;
};

/// The image chosen from a container, ready to be indexed.
struct Image {
  /// e.g. "docker save (Docker <= 24)", "OCI layout", "OCI archive".
  std::string format;
  /// The container kind ("directory", "tar", "gzip-compressed tar").
  std::string container;
  /// Names/tags of the chosen image.
  std::vector<std::string> names;
  /// Digest of the image manifest, if the format has one.
  std::string manifest_digest;
  /// Path of the image manifest blob inside the container ("" if the format has none).
  std::string manifest_path;
  /// Path of the image index that lists the manifest ("index.json" or a nested index blob; ""
  /// for a docker save manifest.json entry).
  std::string index_path;
  /// Digest of the config blob ("sha256:..."), if known.
  std::string config_digest;
  /// Path of the config inside the container.
  std::string config_path;
  /// Every platform the container offers for this image (for inspect and errors).
  std::vector<std::string> platforms;
  ImageConfig config;
  std::vector<LayerBlob> layers;
};

/// Reads the image chosen by `selector` from `files`. Throws kNotFound (listing what exists)
/// when the name or platform does not exist, kBadImage when the manifests are malformed, and
/// kIntegrity when a manifest or config does not match its descriptor, or (unless
/// `check_layer_sizes` is false, for verify, which reports it) a layer blob's size does not.
Image ReadImage(const ImageFiles& files, const ImageSelector& selector,
                bool check_layer_sizes = true);

/// One image (one platform of one named image) that a container offers.
struct ImageListing {
  /// Names/tags; empty for an untagged image.
  std::vector<std::string> names;
  /// The platform from the index, else from the config; nullopt if neither is readable.
  std::optional<Platform> platform;
  /// Digest of the image manifest ("" if the format has none).
  std::string manifest_digest;
  /// Digest of the config blob ("" if unknown).
  std::string config_digest;
  /// Bytes of the config and layer blobs (as their descriptors state, else as stored); nullopt
  /// when the image is unavailable.
  std::optional<uint64_t> size;
  /// Number of layers.
  size_t layers = 0;
  /// Empty when usable, else why not (e.g. "its manifest sha256:ab.. is not in the image").
  std::string unavailable;
  /// Identity of the top-level entry; listings of one group are platforms of one image.
  std::string group;
};

/// Every image and platform that `files` offers, in container order. Throws like ReadImage.
std::vector<ImageListing> ListImages(const ImageFiles& files);

/// "its descriptor says N bytes, the blob has M" if `layer`'s blob is not the size its
/// descriptor states, else "".
std::string LayerSizeProblem(const LayerBlob& layer);

}  // namespace imgmount
