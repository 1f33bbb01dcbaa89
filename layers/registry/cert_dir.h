// --cert-dir as containers' certs.d has it: extra CA certificates (*.crt), trusted besides the
// system CAs, and a client certificate and key (NAME.cert with NAME.key) for registries that ask.
#pragma once

#include <string>

namespace imgmount {

/// The TLS material of a --cert-dir.
struct CertDirFiles {
  /// The system CA bundle followed by every *.crt of the directory (PEM), "" if it has none.
  std::string ca_bundle;
  /// The first NAME.cert (by name) that has a NAME.key beside it, and that key; "" if none.
  std::string client_cert;
  std::string client_key;
};

/// Reads `dir`; `system_bundle` is the path of the system CAs (libcurl's default CA file);
/// `label` names the directory's origin in messages ("--cert-dir", or "certs.d" for a default
/// one). Throws kUsage naming the directory if it cannot be read, or a NAME.cert lacks its
/// NAME.key.
CertDirFiles LoadCertDir(const std::string& dir, const std::string& system_bundle,
                         const std::string& label = "--cert-dir");

/// The certificate directory skopeo and docker use for `registry` (HOST or HOST:PORT) when no
/// --cert-dir is given: the first of /etc/containers/certs.d/REGISTRY and
/// /etc/docker/certs.d/REGISTRY that is a directory, "" if neither is (or the name could leave
/// those directories).
std::string DefaultCertDir(const std::string& registry);

}  // namespace imgmount
