// An image of containerd's content store presented as the files of an OCI layout, so that the
// OCI reader reads it as it reads a layout directory.
#pragma once

#include <memory>
#include <string>

#include "layers/containerd/containerd_store.h"
#include "layers/image/image_files.h"

namespace imgmount {

/// The prefix of a containerd reference: containerd://NAME[:TAG|@DIGEST].
inline constexpr const char* kContainerdScheme = "containerd://";

/// Whether `argument` is a containerd reference.
bool IsContainerdReference(const std::string& argument);

/// Resolves `reference` (containerd://NAME...) by name in containerd's metadata as `access` says
/// and presents the image as an OCI layout: "oci-layout", an "index.json" with the image's target
/// descriptor (its name as the ref name) and "blobs/<alg>/<hex>" opened in place in the content
/// store (O_NOFOLLOW | O_NONBLOCK, regular files only). Kind() is "containerd", name() the
/// reference with its namespace and root. Throws kUsage for an empty name, kNotFound for an
/// unknown root, namespace or name (listing what exists), kIo when the root cannot be read.
std::unique_ptr<ImageFiles> OpenContainerdFiles(const std::string& reference,
                                                const ContainerdAccess& access);

}  // namespace imgmount
