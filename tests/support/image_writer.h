// Writes complete container images from layer tars in every input format imgmount reads:
// docker save (Docker <= 24 and >= 25), containerd-store export, skopeo docker-archive, OCI layout
// directory and OCI archive, with per-layer and outer compression.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/codec.h"
#include "tests/support/tar_writer.h"

namespace imgmount::fixture {

/// The on-disk image formats imgmount reads (docs/ARCHITECTURE.md, the inputs).
enum class ImageFormat {
  kDockerLegacy,   ///< `docker save` of Docker <= 24: manifest.json + <id>/layer.tar
  kDockerOci,      ///< `docker save` of Docker >= 25: manifest.json + OCI layout in one tar
  kContainerd,     ///< Docker 29 containerd-store export: nested multi-platform index, sorted tar
  kDockerArchive,  ///< skopeo / podman docker-archive: manifest.json + <hex>.tar + <hex>.json
  kOciDir,         ///< OCI image layout directory
  kOciArchive,     ///< tar of an OCI image layout
};

/// One `history` entry of an image config.
struct HistoryEntry {
  std::string created = "2024-01-01T00:00:00Z";  ///< RFC 3339 time
  std::string created_by;                        ///< the command that made the step
  std::string comment;                           ///< free text, omitted when empty
  bool empty_layer = false;                      ///< true when the step made no layer
};

/// The parts of an image config a fixture controls.
struct ImageConfig {
  std::string os = "linux";                      ///< platform OS
  std::string architecture = "amd64";            ///< platform architecture
  std::string variant;                           ///< platform variant, omitted when empty
  std::string created = "2024-01-01T00:00:00Z";  ///< image creation time
  std::vector<std::string> env;                  ///< Env, "KEY=value"
  std::vector<std::string> cmd;                  ///< Cmd
  std::vector<std::string> entrypoint;           ///< Entrypoint
  std::string working_dir;                       ///< WorkingDir
  std::string user;                              ///< User
  std::vector<std::string> exposed_ports;        ///< ExposedPorts keys, e.g. "80/tcp"
  std::vector<std::pair<std::string, std::string>> labels;  ///< Labels
  std::vector<HistoryEntry> history;  ///< empty: one generated entry per layer
};

/// The image of one platform: its config and its uncompressed layer tars, bottom first.
struct PlatformImage {
  ImageConfig config;               ///< config; os/architecture/variant name the platform
  std::vector<std::string> layers;  ///< uncompressed layer tars, bottom to top
  /// The entries each layer tar was built from, where known (eStargz is written from them).
  std::vector<std::vector<TarEntry>> layer_entries;
};

/// One named image; several platforms make it a multi-platform index where the format allows.
struct ImageSpec {
  std::vector<std::string> tags;         ///< references "name:tag"; at least one
  std::vector<PlatformImage> platforms;  ///< the first is the one single-platform formats write
};

/// How to write the images.
struct WriteOptions {
  ImageFormat format = ImageFormat::kOciDir;     ///< output format
  Compression compression = Compression::kNone;  ///< compression of every layer blob
  size_t zstd_frame_size = 64 * 1024;      ///< input bytes per member / frame (-multi, -seekable)
  Compression outer = Compression::kNone;  ///< whole-file compression of tar outputs
  bool shuffle_oci_layers = false;         ///< docker-oci: OCI manifest lists layers out of order
  bool null_oci_manifests = false;         ///< docker-oci: index.json says "manifests": null
  bool docker_archive_legacy = false;      ///< docker-archive: add <id>/ dirs and `repositories`
  /// OCI-based formats: Docker v2s2 media types, as containerd keeps them (skopeo 1.9 and umoci
  /// 0.4.7 do not read such OCI layouts).
  bool docker_media_types = false;
};

/// Writes `images` to `out_path` (a file, or a directory for kOciDir). Throws on any failure.
void WriteImages(const std::vector<ImageSpec>& images, const WriteOptions& options,
                 const std::string& out_path);

/// Builds the output in memory (tar formats only) and returns its bytes.
std::string BuildImageArchive(const std::vector<ImageSpec>& images, const WriteOptions& options);

/// Parses a format name (docker-legacy, docker-oci, ...); throws std::invalid_argument.
ImageFormat ParseImageFormat(std::string_view name);

/// The name ParseImageFormat accepts for a format.
const char* ImageFormatName(ImageFormat format);

/// All format names, in the order of the enum.
std::vector<std::string> ImageFormatNames();

}  // namespace imgmount::fixture
