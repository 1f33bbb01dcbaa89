// A client of the OCI distribution API (`/v2/`) on libcurl: manifests, blobs, byte ranges.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layers/registry/image_reference.h"
#include "layers/registry/registry_access.h"

typedef void CURL;

namespace imgmount {

/// One HTTP request of the client and its answer (registry_exchange.h).
struct RegistryRequest;
struct RegistryResponse;
struct HttpOrigin;
class RegistryAuth;

/// The largest manifest or index fetched (they are JSON documents of a few KiB).
constexpr uint64_t kMaxDocumentBytes = 4 << 20;

/// A document fetched from a registry and checked against its digest.
struct FetchedDocument {
  /// The bytes exactly as served.
  std::string bytes;
  /// The Content-Type without parameters ("application/vnd.oci.image.index.v1+json").
  std::string media_type;
  /// "sha256:<hex>" of `bytes`, equal to the digest asked for or announced.
  std::string digest;
};

/// Talks to the registry of one reference, for its repository. Safe to use from any thread;
/// connections are kept and reused.
class RegistryClient {
 public:
  /// A client of `reference`'s registry and repository, reached as `access` says. Throws kUsage
  /// for a malformed --creds or an unreadable --cert-dir.
  RegistryClient(ImageReference reference, const RegistryAccess& access);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  /// The reference this client was made for.
  const ImageReference& reference() const { return reference_; }

  /// GET /v2/<repo>/manifests/<tag or digest> with the OCI and Docker v2 media types accepted.
  /// The body is checked against `ref` when it is a digest, else against Docker-Content-Digest
  /// when the registry sends it (kIntegrity on a mismatch). Throws kNotFound naming the
  /// repository and the tag when either is unknown.
  FetchedDocument GetManifest(const std::string& ref) const;

  /// The size of blob `digest` (HEAD /v2/<repo>/blobs/<digest>). Throws kNotFound if unknown.
  uint64_t BlobSize(const std::string& digest) const;

  /// Bytes [offset, offset + length) of blob `digest` (a ranged GET; a server that ignores the
  /// range and sends the whole blob is handled, and said in `range_ignored` if not null).
  /// Returns fewer bytes only at the blob's end.
  std::string GetBlobRange(const std::string& digest, uint64_t offset, uint64_t length,
                           bool* range_ignored = nullptr) const;

  /// Streams blob `digest` from `offset` to its end into `sink` (one GET, a range unless
  /// `offset` is 0), which returns false to stop early. One attempt: the caller resumes after a
  /// failure. Throws as the other calls do; a body that ends early is a kIo error.
  /// `cancelled`, asked about once a second while the transfer runs (and waits), ends it early
  /// when it returns true, so that a stalled registry does not hold the caller.
  void StreamBlob(const std::string& digest, uint64_t offset,
                  const std::function<bool(std::string_view)>& sink,
                  const std::function<bool()>& cancelled = {}) const;

 private:
  RegistryResponse Perform(const RegistryRequest& request) const;
  bool RepositoryExists() const;
  // Sends `request` to the registry (HTTPS, or plain HTTP where permitted and the registry
  // speaks no TLS), redirects followed.
  RegistryResponse ToRegistry(const RegistryRequest& request,
                              const std::string& authorization) const;
  // Sends `request` to `url`, following at most kMaxRedirects redirects; `authorization` goes
  // only to `url`'s own origin.
  RegistryResponse Exchange(const std::string& url, const RegistryRequest& request,
                            const std::string& authorization) const;
  RegistryResponse PerformOnce(CURL* curl, const std::string& url, const RegistryRequest& request,
                               const std::string& authorization) const;
  // GET of a token from a Bearer realm (registry_auth.h's TokenFetcher).
  std::pair<long, std::string> FetchToken(const std::string& url,
                                          const std::string& authorization) const;
  bool PlainHttpAllowed(const std::string& host) const;
  // Whether requests may go to `origin`: HTTPS, or plain HTTP where PlainHttpAllowed.
  bool SchemeAllowed(const std::optional<HttpOrigin>& origin) const;
  void ThrowForStatus(const RegistryRequest& request, const RegistryResponse& response) const;
  CURL* TakeHandle() const;
  void ReturnHandle(CURL* curl) const;

  ImageReference reference_;
  RegistryAccess access_;
  // The system CAs plus those of --cert-dir ("" = libcurl's default), and a client key pair.
  std::string ca_bundle_;
  std::string client_cert_;
  std::string client_key_;
  std::unique_ptr<RegistryAuth> auth_;
  // The scheme the registry was found to speak: 0 not known yet, 1 HTTPS, 2 plain HTTP (only
  // tried where permitted).
  mutable std::atomic<int> scheme_{0};
  mutable std::mutex mu_;
  mutable std::vector<CURL*> idle_;
};

}  // namespace imgmount
