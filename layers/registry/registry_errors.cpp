// How the registry client reports what went wrong: one error kind (and so one exit code) and
// one sentence per class of failure, as registry_client.cpp's top comment lists them.
#include <cerrno>

#include "layers/base/error.h"
#include "layers/registry/registry_auth.h"
#include "layers/registry/registry_client.h"
#include "layers/registry/registry_exchange.h"

namespace imgmount {

bool EndedByLimit(const RegistryResponse& r) {
  return r.code == CURLE_WRITE_ERROR && (r.too_large || r.range_offset);
}

// Whether the connection ended with a TLS alert from the registry (OpenSSL words it "... alert
// ..."): a refusal, e.g. of a missing or unknown client certificate, not a network failure.
bool TlsAlertFromPeer(const RegistryResponse& r) {
  return (r.code == CURLE_RECV_ERROR || r.code == CURLE_SEND_ERROR) &&
         r.curl_error.find(" alert ") != std::string::npos;
}

bool Retryable(const RegistryResponse& r) {
  if (TlsAlertFromPeer(r)) return false;
  if (r.code != CURLE_OK && !EndedByLimit(r)) return NetworkFailure(r.code);
  return r.status == 429 || r.status >= 500;
}

bool NetworkFailure(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

void RegistryClient::ThrowForStatus(const RegistryRequest& request,
                                    const RegistryResponse& r) const {
  const std::string& host = reference_.registry;
  std::string subject = reference_.given + ": " + request.what;
  std::string tries = request.attempts == 1
                          ? std::string(" (1 attempt)")
                          : " (" + std::to_string(request.attempts) + " attempts)";
  if (r.code != CURLE_OK && !EndedByLimit(r)) {
    std::string detail = ": " + r.curl_error;
    if (TlsAlertFromPeer(r)) {
      throw Error(ErrorKind::kIo, EPROTO,
                  subject + ": TLS error: registry " + host +
                      " ended the TLS session with an alert" + detail +
                      " (a registry that asks for a client certificate needs NAME.cert and "
                      "NAME.key in --cert-dir DIR)");
    }
    switch (r.code) {
      case CURLE_PEER_FAILED_VERIFICATION:
        throw Error(ErrorKind::kIo, EPROTO,
                    subject + ": TLS error: the certificate of registry " + host +
                        " does not verify against the system CAs" +
                        (access_.cert_dir.empty() ? "" : " and those of " + access_.cert_dir) +
                        detail +
                        " (--cert-dir DIR adds CA certificates, --tls-verify=false "
                        "skips the check)");
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_ENGINE_NOTFOUND:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_CRL_BADFILE:
      case CURLE_SSL_SHUTDOWN_FAILED:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_INVALIDCERTSTATUS:
      case CURLE_SSL_CLIENTCERT:
        throw Error(
            ErrorKind::kIo, EPROTO,
            subject + ": TLS error: the TLS handshake with registry " + host + " failed" + detail);
      case CURLE_COULDNT_RESOLVE_HOST:
        throw Error(ErrorKind::kIo, EHOSTUNREACH,
                    subject + ": network error: cannot resolve registry host " + host + detail);
      case CURLE_COULDNT_CONNECT:
        throw Error(
            ErrorKind::kIo, ECONNREFUSED,
            subject + ": network error: cannot connect to registry " + host + tries + detail);
      case CURLE_OPERATION_TIMEDOUT:
        throw Error(ErrorKind::kIo, ETIMEDOUT,
                    subject + ": network error: registry " + host + " timed out" + tries + detail);
      default:
        throw Error(ErrorKind::kIo, EIO,
                    subject + ": network error with registry " + host +
                        (NetworkFailure(r.code) ? tries : "") + detail);
    }
  }
  if (r.too_large) {
    ThrowBadImage(subject + ": larger than " + std::to_string(request.limit) + " bytes");
  }
  std::string status = " (HTTP " + std::to_string(r.status) + ")";
  if (r.status == 200 || (r.status == 206 && request.range) || (r.status == 416 && request.range)) {
    return;
  }
  if (r.status == 401 || r.status == 403) {
    throw Error(ErrorKind::kUnauthorized, EACCES,
                subject + ": unauthorized: registry " + host + " refuses access to repository \"" +
                    reference_.repository + "\"" + status + ": " + auth_->Explain());
  }
  if (r.status == 404) {
    if (r.body.find("NAME_UNKNOWN") != std::string::npos) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  reference_.given + ": repository \"" + reference_.repository +
                      "\" not found in registry " + host);
    }
    throw Error(
        ErrorKind::kNotFound, ENOENT,
        subject + " not found in repository \"" + reference_.repository + "\" of registry " + host);
  }
  if (r.status == 429) {
    throw Error(ErrorKind::kIo, EAGAIN,
                subject + ": registry " + host + " answers \"too many requests\"" + status + tries);
  }
  if (r.status >= 500) {
    throw Error(ErrorKind::kIo, EIO,
                subject + ": server error of registry " + host + status + tries);
  }
  throw Error(ErrorKind::kIo, EIO, subject + ": unexpected answer of registry " + host + status);
}

}  // namespace imgmount
