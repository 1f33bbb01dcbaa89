// How to reach a registry: the TLS and credential options of the command line (skopeo's
// --tls-verify, --cert-dir, --authfile, --creds) and where registry blobs are cached, handed from
// the CLI to every registry client.
#pragma once

#include <optional>
#include <string>

namespace imgmount {

/// The options that decide how a registry is spoken to and who the client says it is.
struct RegistryAccess {
  /// --tls-verify (default true): false skips certificate checks and permits plain HTTP.
  bool tls_verify = true;
  /// --cert-dir: extra CA certificates (*.crt) and client certificate/key pairs (*.cert/*.key).
  std::string cert_dir;
  /// --authfile: the one auth file to read (as $REGISTRY_AUTH_FILE); "" = the usual places.
  std::string auth_file;
  /// --creds USER:PASSWORD, taking precedence over every auth file.
  std::optional<std::string> creds;
  /// The cache directory whose chunks/ keeps the chunks of registry blobs (chunk_store.h); ""
  /// (--no-cache) keeps none.
  std::string cache_dir;
};

}  // namespace imgmount
