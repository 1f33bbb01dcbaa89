// containerd's image records, read from its metadata database without asking the daemon:
// <root>/io.containerd.metadata.v1.bolt/meta.db holds v1/<namespace>/images/<name>/target/
// {digest, mediatype, size} (containerd 1.6, metadata/buckets.go), and the blobs they lead to sit
// in <root>/io.containerd.content.v1.content/blobs/<alg>/<hex>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imgmount {

/// Where containerd's images are looked up: the options --containerd-root and --namespace.
struct ContainerdAccess {
  /// The containerd root; "" = /var/lib/containerd, else /var/lib/docker/containerd/daemon.
  std::string root;
  /// The namespace; "" = "moby" in Docker's root, else "default".
  std::string ns;
};

/// One image record of containerd's metadata.
struct StoreImage {
  std::string ns;
  /// The name as containerd stores it ("docker.io/library/node:20").
  std::string name;
  /// The target: the image's index or manifest.
  std::string digest;
  std::string media_type;
  uint64_t size = 0;
};

/// The containerd root `access` asks for: its root if given (kNotFound if it has no metadata
/// database), else the first of the default ones that exists (kNotFound naming both if none).
std::string ContainerdRoot(const ContainerdAccess& access);

/// The namespace `access` asks for, else the default one of `root`.
std::string ContainerdNamespace(const ContainerdAccess& access, const std::string& root);

/// The content store directory of `root` (holding blobs/<alg>/<hex>).
std::string ContentStoreDir(const std::string& root);

/// The namespaces of `root`'s metadata, sorted.
std::vector<std::string> ReadNamespaces(const std::string& root);

/// The images of namespace `ns` of `root` (of every namespace if `ns` is ""), by name. Throws
/// kNotFound listing the namespaces when `ns` does not exist.
std::vector<StoreImage> ReadStoreImages(const std::string& root, const std::string& ns);

/// The image `name` of namespace `ns`: stored exactly so, else under the name docker and nerdctl
/// normalise it to ("node" -> "docker.io/library/node:latest"), else for NAME@DIGEST the image of
/// that repository whose target is DIGEST. Throws kNotFound listing images or namespaces.
StoreImage ResolveStoreImage(const std::string& root, const std::string& ns,
                             const std::string& name);

/// The name docker and nerdctl make of `name`: a registry host (docker.io if none), a
/// "library/" path for docker.io's official images, and ":latest" when neither a tag nor a
/// digest is given.
std::string NormalizeContainerdName(const std::string& name);

}  // namespace imgmount
