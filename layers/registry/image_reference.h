// Registry image references: `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]` (skopeo's transport
// syntax) and the bare `HOST/REPO[:TAG|@DIGEST]` form, validated with the grammar of the
// distribution spec (docker/distribution's reference package).
#pragma once

#include <optional>
#include <string>

namespace imgmount {

/// A parsed, validated reference to an image in a registry.
struct ImageReference {
  /// The reference as the user gave it, for messages.
  std::string given;
  /// Registry host with its port if given ("127.0.0.1:5000", "quay.io", "docker.io").
  std::string registry;
  /// Repository path inside the registry ("library/alpine", "team/app").
  std::string repository;
  /// The tag ("latest" when neither a tag nor a digest is given); "" when a digest is given.
  std::string tag;
  /// "sha256:<hex>" when the reference names a digest, else "".
  std::string digest;

  /// The tag or the digest, as used in /v2/<repo>/manifests/<ref>.
  const std::string& ManifestRef() const { return digest.empty() ? tag : digest; }
  /// "HOST/REPO:TAG" or "HOST/REPO@DIGEST", for messages.
  std::string Canonical() const;
  /// Whether the registry is spoken to over plain HTTP: only localhost and 127.0.0.0/8.
  bool PlainHttp() const;
  /// The host (and port) the HTTP requests go to: registry-1.docker.io for docker.io.
  std::string ApiHost() const;
};

/// Parses `text` after "docker://" or as a bare reference. Throws kUsage naming `text` and the
/// part at fault when it does not follow the grammar.
ImageReference ParseImageReference(const std::string& text);

/// The registry reference an image argument stands for, or nullopt if it names a local file:
/// "docker://..." always (throws kUsage when malformed); the bare form only when its first
/// component is a registry host (has a dot or a colon, or is "localhost"), it has a slash, and
/// no file or directory of that name exists (whole or as FILE:TAG), and it follows the grammar.
std::optional<ImageReference> RegistryReferenceOf(const std::string& argument);

/// Whether `host` is localhost or an IPv4 address in 127.0.0.0/8 (with or without a port).
bool IsLoopbackHost(const std::string& host);

}  // namespace imgmount
