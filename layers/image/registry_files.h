// A registry image presented as the files of an OCI layout, so that the OCI reader reads it as
// it reads a layout directory.
#pragma once

#include <memory>

#include "layers/image/image_files.h"
#include "layers/registry/image_reference.h"
#include "layers/registry/registry_access.h"

namespace imgmount {

/// Fetches the manifest (or index) `reference` names and presents the image as an OCI layout:
/// "oci-layout", an "index.json" with one descriptor (that document's media type, digest and
/// size, the tag as its ref name) and "blobs/<alg>/<hex>" fetched on Open: manifests and
/// indexes whole and checked against their digest, other blobs as ranged reads. Kind()
/// is "registry", name() the reference as given. The registry is reached as `access` says, and
/// blobs' chunks are cached under its cache_dir (none if ""). Throws Error (see
/// registry_client.h); kUsage if $IMGMOUNT_CHUNK_CACHE_SIZE is malformed.
std::unique_ptr<ImageFiles> OpenRegistryFiles(const ImageReference& reference,
                                              const RegistryAccess& access);

}  // namespace imgmount
