// Registry credentials as skopeo and podman find them: --creds, else the auth files of
// containers-auth.json(5) and Docker, in containers/image's order, with its key matching.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers/registry/registry_access.h"

namespace imgmount {

/// A user name and password for one registry (never printed).
struct Credentials {
  std::string username;
  std::string password;
};

/// What the search for a registry's credentials found.
struct CredentialLookup {
  /// The credentials, if any place had them.
  std::optional<Credentials> credentials;
  /// Where they came from ("--creds" or the auth file's path), for messages.
  std::string source;
  /// Why a matching entry could not be used (a credential helper, an identity token), for the
  /// unauthorized message; "" if nothing was skipped.
  std::string skipped;
};

/// The auth files read, in order: `access.auth_file`, else $REGISTRY_AUTH_FILE, else
/// $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME/containers/auth.json (default
/// ~/.config), ~/.docker/config.json and ~/.dockercfg (the legacy format: no "auths" level).
std::vector<std::string> AuthFilePaths(const RegistryAccess& access);

/// The keys an auth file entry may have for `registry` and `repository`, most specific first:
/// "host:port/a/b", "host:port/a", "host:port".
std::vector<std::string> AuthKeysFor(const std::string& registry, const std::string& repository);

/// The credentials for `repository` of `registry`: `access.creds` ("USER:PASSWORD") if given,
/// else the first file of AuthFilePaths that has a matching entry (a file's most specific key
/// wins; "https://host/v1/"-style keys match their host). Missing files are skipped; a file that
/// is not valid JSON or an entry whose "auth" is not base64 "user:password" throws kUsage naming
/// the file (never its content).
CredentialLookup FindCredentials(const std::string& registry, const std::string& repository,
                                 const RegistryAccess& access);

/// "USER:PASSWORD" split at its first colon; throws kUsage (never echoing the text) otherwise.
Credentials ParseCreds(const std::string& text);

/// Standard base64 of `bytes` (for the Basic scheme).
std::string Base64Encode(const std::string& bytes);

/// `text` decoded from standard base64, or nullopt if it is not base64.
std::optional<std::string> Base64Decode(const std::string& text);

}  // namespace imgmount
