// The files of an image container: an OCI layout directory, or a tar archive (docker save, OCI
// archive), possibly compressed as a whole. Paths never resolve outside the container.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/containerd/containerd_store.h"
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

  /// "directory", "tar", "gzip-compressed tar", "zstd-compressed tar", "registry" or
  /// "containerd".
  virtual std::string Kind() const = 0;

  /// The local file that holds `path` when it is not beneath the container's name (a
  /// containerd blob in its content store), else "".
  virtual std::string LocalFile(const std::string& /*path*/) const { return ""; }
};

/// Opens `path` as a directory container or a (possibly gzip/zstd compressed) tar container, as
/// a registry image when it is a registry reference (registry_files.h), reached as `access`
/// says, or as an image of containerd's store when it is containerd://NAME (containerd_files.h).
std::unique_ptr<ImageFiles> OpenImageFiles(const std::string& path,
                                           const RegistryAccess& access = {},
                                           const ContainerdAccess& containerd = {});

}  // namespace imgmount
