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

/// Reads `dir`; `system_bundle` is the path of the system CAs (libcurl's default CA file).
/// Throws kUsage naming the directory if it cannot be read, or a NAME.cert lacks its NAME.key.
CertDirFiles LoadCertDir(const std::string& dir, const std::string& system_bundle);

}  // namespace imgmount
