// Internal building blocks of the image writers: the list of output files, prepared (compressed
// and digested) platform images, and image reference helpers.
#pragma once

#include <string>
#include <vector>

#include "tests/support/image_json.h"
#include "tests/support/image_writer.h"

namespace imgmount::fixture {

/// The files of one output, in the order they are to be written.
class Layout {
 public:
  /// One output member: a regular file, or a symlink when `is_symlink`.
  struct Item {
    std::string path;         ///< relative path, no leading "./"
    std::string content;      ///< file bytes, or the symlink target
    bool is_symlink = false;  ///< true for symlinks
  };

  /// Adds a regular file; a path already present is left unchanged.
  void AddFile(const std::string& path, std::string content);

  /// Adds a symlink; a path already present is left unchanged.
  void AddSymlink(const std::string& path, const std::string& target);

  /// Adds a blob as blobs/<alg>/<hex> named by its digest and returns that path.
  std::string AddBlob(const std::string& digest, std::string content);

  /// True when the path has been added.
  bool Has(const std::string& path) const;

  /// Sorts the members by path, as Docker's exporter walks its directory.
  void SortByName();

  /// Serialises as a tar, with an entry for each parent directory before its first child.
  std::string ToTar() const;

  /// Writes the members under `dir`, which is created and must not already contain files.
  void WriteTree(const std::string& dir) const;

 private:
  std::vector<Item> items_;
};

/// The path of a blob in an OCI layout, "blobs/sha256/<hex>".
std::string BlobPath(const std::string& digest);

/// The hex part of a digest.
std::string DigestHex(const std::string& digest);

/// One layer blob as stored in an image.
struct LayerBlob {
  std::string data;       ///< the (possibly compressed) bytes
  Descriptor descriptor;  ///< media type, digest and size of `data`
  std::string diff_id;    ///< sha256 digest of the uncompressed tar
};

/// A platform image made ready to write: layers compressed, config and manifest serialised.
struct PreparedImage {
  const PlatformImage* source = nullptr;  ///< the image this was prepared from
  std::vector<LayerBlob> layers;          ///< layer blobs, bottom first
  std::string config;                     ///< config JSON
  Descriptor config_descriptor;           ///< descriptor of `config`
  std::string manifest;                   ///< image manifest JSON
  Descriptor manifest_descriptor;         ///< descriptor of `manifest`, with platform
};

/// Compresses the layers and builds the config and manifest of one platform image.
PreparedImage PrepareImage(const PlatformImage& image, const WriteOptions& options,
                           const MediaTypes& types);

/// The tag of a reference ("name:tag" -> "tag", "name" -> "latest").
std::string ReferenceTag(const std::string& ref);

/// The reference in containerd's fully qualified form ("busybox:1" ->
/// "docker.io/library/busybox:1").
std::string QualifiedReference(const std::string& ref);

/// Compresses a whole output file with `options.outer` (multi-part methods use zstd_frame_size).
std::string WrapOuter(std::string bytes, const WriteOptions& options);

}  // namespace imgmount::fixture
