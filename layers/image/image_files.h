// The files of an image container: an OCI layout directory, or a tar archive (docker save, OCI
// archive), possibly compressed as a whole. Paths never resolve outside the container.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/registry/registry_access.h"
#include "layers/source/byte_source.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// Read access to the named files of an image container.
class ImageFiles {
 public:
  virtual ~ImageFiles() = default;

  /// Opens the regular file at `path` (relative to the container root; symlinks inside the
  /// container are followed, up to 40, never outside). Throws kNotFound or kBadImage.
  virtual SourcePtr Open(const std::string& path) const = 0;

  /// Whether `path` names a regular file (after symlinks) in the container.
  virtual bool Exists(const std::string& path) const = 0;

  /// The container as named on the command line, for messages.
  virtual const std::string& name() const = 0;

  /// "directory", "tar", "gzip-compressed tar", "zstd-compressed tar" or "registry".
  virtual std::string Kind() const = 0;
};

/// Opens `path` as a directory container or a (possibly gzip/zstd compressed) tar container, or
/// as a registry image when it is a registry reference (registry_files.h), reached as `access`
/// says.
std::unique_ptr<ImageFiles> OpenImageFiles(const std::string& path,
                                           const RegistryAccess& access = {});

}  // namespace imgmount
