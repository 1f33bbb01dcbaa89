// `imgmount images containerd://`: the image records of containerd's store (one namespace, or
// every one with --all), as `ctr images ls` lists them.
#pragma once

#include "layers/containerd/containerd_store.h"
#include "tools/inspect_verbs.h"

namespace imgmount {

/// Prints the images of the namespace `access` names (all namespaces if `all`) of its root:
/// [NAMESPACE,] NAME, DIGEST (of the target), MEDIA TYPE, SIZE (of the target), or a JSON array
/// with --json. Returns the exit code.
int ShowStoreImages(const ContainerdAccess& access, bool all, const ImagesOptions& opts);

}  // namespace imgmount
