// Where the registry client's requests go: the registry's scheme (HTTPS, or plain HTTP where
// permitted and the registry speaks no TLS), redirects followed by hand so that the
// Authorization header never leaves the registry's origin, and the GET of a Bearer token.
// registry_client.cpp's top comment states the rules.
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "layers/base/error.h"
#include "layers/registry/curl_library.h"
#include "layers/registry/http_origin.h"
#include "layers/registry/registry_client.h"
#include "layers/registry/registry_exchange.h"

namespace imgmount {
namespace {

constexpr int kSchemeHttps = 1;
constexpr int kSchemeHttp = 2;
constexpr uint64_t kTokenBodyLimit = 1 << 20;

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

bool RegistryClient::PlainHttpAllowed(const std::string& host) const {
  return !access_.tls_verify || IsLoopbackHost(host);
}

bool RegistryClient::SchemeAllowed(const std::optional<HttpOrigin>& origin) const {
  return origin && (origin->scheme == "https" ||
                    (origin->scheme == "http" && PlainHttpAllowed(origin->host)));
}

RegistryResponse RegistryClient::ToRegistry(const RegistryRequest& request,
                                            const std::string& authorization) const {
  std::string rest = reference_.ApiHost() + "/v2/" + reference_.repository + "/" + request.path;
  int scheme = scheme_.load();
  if (scheme == kSchemeHttp) return Exchange("http://" + rest, request, authorization);
  RegistryResponse secure = Exchange("https://" + rest, request, authorization);
  if (scheme == kSchemeHttps || secure.code != CURLE_SSL_CONNECT_ERROR ||
      !PlainHttpAllowed(reference_.ApiHost())) {
    if (secure.code == CURLE_OK) scheme_ = kSchemeHttps;
    return secure;
  }
  // A TLS handshake that failed at once: the registry may speak plain HTTP. A server that
  // speaks TLS answers plain HTTP with 400 (or not at all): then the TLS error is the one to say.
  RegistryResponse plain = Exchange("http://" + rest, request, authorization);
  if (plain.code != CURLE_OK || plain.status == 400) return secure;
  scheme_ = kSchemeHttp;
  return plain;
}

RegistryResponse RegistryClient::Exchange(const std::string& first_url,
                                          const RegistryRequest& request,
                                          const std::string& authorization) const {
  std::optional<HttpOrigin> home = OriginOf(first_url);
  std::string url = first_url;
  for (int hop = 0;; ++hop) {
    bool at_home = home && OriginOf(url) == home;
    CURL* curl = TakeHandle();
    RegistryResponse response;
    try {
      response = PerformOnce(curl, url, request, at_home ? authorization : "");
    } catch (...) {
      Curl().easy_cleanup(curl);
      throw;
    }
    ReturnHandle(curl);
    response.from_registry = at_home;
    if (response.code != CURLE_OK || !IsRedirect(response.status) ||
        response.redirect_url.empty()) {
      return response;
    }
    std::string subject =
        reference_.given + ": " + request.what + ": registry " + reference_.registry;
    if (hop == kMaxRedirects) {
      throw Error(ErrorKind::kIo, ELOOP,
                  subject + " redirects more than " + std::to_string(kMaxRedirects) + " times");
    }
    std::optional<HttpOrigin> next = OriginOf(response.redirect_url);
    if (!SchemeAllowed(next)) {
      throw Error(ErrorKind::kIo, EPROTO,
                  subject + " redirects to " + (next ? next->ToString() : "an unusable URL") +
                      ": only HTTPS is followed (plain HTTP only to localhost and 127.0.0.0/8, "
                      "or with --tls-verify=false)");
    }
    url = response.redirect_url;
  }
}

std::pair<long, std::string> RegistryClient::FetchToken(const std::string& url,
                                                        const std::string& authorization) const {
  std::optional<HttpOrigin> origin = OriginOf(url);
  RegistryRequest request;
  request.limit = kTokenBodyLimit;
  request.what = "token from " + (origin ? origin->ToString() : std::string("an unusable realm"));
  if (!SchemeAllowed(origin)) {
    throw Error(ErrorKind::kIo, EPROTO,
                reference_.given + ": registry " + reference_.registry +
                    " names a token realm that is not HTTPS (" + request.what + ")");
  }
  auto backoff = std::chrono::milliseconds(250);
  for (int attempt = 1;; ++attempt) {
    RegistryResponse r = Exchange(url, request, authorization);
    if (!Retryable(r) || attempt == kAttempts) {
      // The token server's statuses are RegistryAuth's to judge; TLS and network errors are said
      // here.
      if (r.code != CURLE_OK) ThrowForStatus(request, r);
      return {r.status, std::move(r.body)};
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

}  // namespace imgmount
