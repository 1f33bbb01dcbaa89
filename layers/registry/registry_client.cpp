// The registry client: the OCI distribution API over libcurl.
//
// Requests. A manifest is fetched with GET /v2/<repo>/manifests/<tag|digest> and an Accept list
// of the OCI and Docker v2 media types (index, manifest list, image manifest), at most 4 MiB; a
// blob's size with HEAD /v2/<repo>/blobs/<digest> and its bytes by ranges (`Range: bytes=a-b`;
// a server that answers 200 instead of 206 is read up to the range's end and cut off; the
// reader checks a config against its digest, the indexing pass a layer). A manifest is checked
// against the digest of the reference when it names one, else against the Docker-Content-Digest
// the registry announces (a registry that announces none leaves nothing to check it against).
//
// Transport. HTTPS verified against the system CAs plus the *.crt of --cert-dir (a NAME.cert
// and NAME.key there are the client's certificate); --tls-verify=false skips the checks. Plain
// HTTP is permitted for localhost and 127.0.0.0/8, and for any host under --tls-verify=false:
// there HTTPS is tried first and a registry that speaks no TLS is spoken to over HTTP from then
// on (as Docker and containers/image do). Redirects are followed here, not by libcurl: at most 5
// hops, relative Locations resolved, each target held to the same HTTPS rule, and the
// Authorization header sent only to the registry's own origin (scheme, host and port), never to
// the blob storage a registry redirects to. Connections are kept in a pool of curl handles and
// reused. A connection takes at most 10 s to open; a transfer that moves no byte for 30 s is
// abandoned. Dropped connections, timeouts, 429 and 5xx are retried (4 attempts in all) after
// the wait a Retry-After header asks (seconds or an HTTP date, at most 30 s), else a backoff of
// 0.25, 0.5 and 1 s; nothing else is.
//
// Auth (registry_auth.h). Anonymous first; a 401 with a Bearer challenge gets a token from its
// realm (cached per scope until it expires), with Basic it gets the credentials of --creds or
// an auth file. A token the registry refuses is replaced once per request, so a request goes
// out at most three times for auth (anonymous, with a token, with a new token).
//
// Errors (layers/base/error.h kinds, and so the exit codes): an unknown repository, tag or blob
// is kNotFound (3); 401/403 after authenticating is kUnauthorized (8, saying which credentials
// were tried and where from, never the credentials); TLS failures (a certificate that does not
// verify, a failed handshake), unreachable registries and 5xx/429 after the retries are kIo (6,
// EPROTO, ECONNREFUSED, ETIMEDOUT or EIO), the message saying "TLS error", "network error" or
// "server error"; a body that does not match its digest is kIntegrity (5).
#include "layers/registry/registry_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <thread>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/registry/cert_dir.h"
#include "layers/registry/curl_library.h"
#include "layers/registry/http_origin.h"
#include "layers/registry/registry_auth.h"
#include "layers/registry/registry_exchange.h"

namespace imgmount {
namespace {

constexpr long kConnectTimeoutSeconds = 10;
constexpr long kStallSeconds = 30;
constexpr uint64_t kErrorBodyLimit = 64 * 1024;
constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

std::string DigestOf(const std::string& bytes, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  hasher.Update(std::as_bytes(std::span(bytes.data(), bytes.size())));
  return hasher.Finish();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? "" : s.substr(start);
}

bool HeaderIs(const std::string& line, const char* name) {
  size_t n = std::strlen(name);
  return line.size() > n && line[n] == ':' && ::strncasecmp(line.c_str(), name, n) == 0;
}

// The system CA file libcurl verifies against by default.
std::string SystemCaBundle() {
  std::string path = "/etc/ssl/certs/ca-certificates.crt";
  CURL* curl = Curl().easy_init();
  if (curl == nullptr) return path;
  char* builtin = nullptr;
  if (Curl().easy_getinfo(curl, CURLINFO_CAINFO, &builtin) == CURLE_OK && builtin != nullptr) {
    path = builtin;
  }
  Curl().easy_cleanup(curl);
  return path;
}

}  // namespace

RegistryClient::RegistryClient(ImageReference reference, const RegistryAccess& access)
    : reference_(std::move(reference)), access_(access) {
  Curl();  // loaded now, so that a missing libcurl is said before any work
  std::string label = "--cert-dir";
  if (access_.cert_dir.empty()) {
    access_.cert_dir = DefaultCertDir(reference_.registry);
    label = "certs.d";
  }
  if (!access_.cert_dir.empty()) {
    CertDirFiles files = LoadCertDir(access_.cert_dir, SystemCaBundle(), label);
    ca_bundle_ = std::move(files.ca_bundle);
    client_cert_ = std::move(files.client_cert);
    client_key_ = std::move(files.client_key);
  }
  auth_ = std::make_unique<RegistryAuth>(
      reference_.registry, reference_.repository, access_,
      [this](const std::string& url, const std::string& authorization) {
        auto [status, body] = FetchToken(url, authorization);
        return TokenAnswer{status, std::move(body)};
      });
}

RegistryClient::~RegistryClient() {
  for (CURL* curl : idle_) Curl().easy_cleanup(curl);
}

CURL* RegistryClient::TakeHandle() const {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      CURL* curl = idle_.back();
      idle_.pop_back();
      Curl().easy_reset(curl);
      return curl;
    }
  }
  CURL* curl = Curl().easy_init();
  if (curl == nullptr) throw Error(ErrorKind::kInternal, ENOMEM, "cannot start libcurl");
  return curl;
}

void RegistryClient::ReturnHandle(CURL* curl) const {
  std::lock_guard lock(mu_);
  idle_.push_back(curl);
}

namespace {

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<RegistryResponse*>(user);
  std::string line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue): its own headers and status count.
    size_t space = line.find(' ');
    long status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    response->skip = (response->range_offset && status == 200) ? *response->range_offset : 0;
    response->status_ok = status == 200 || status == 206;
    response->body.clear();
    response->content_type.clear();
    response->docker_digest.clear();
    response->www_authenticate.clear();
    response->retry_after.clear();
  } else if (HeaderIs(line, "WWW-Authenticate")) {
    std::string value = Trim(line.substr(17));
    if (!response->www_authenticate.empty()) response->www_authenticate += ", ";
    response->www_authenticate += value;
  } else if (HeaderIs(line, "Retry-After")) {
    response->retry_after = Trim(line.substr(12));
  } else if (HeaderIs(line, "Content-Type")) {
    std::string value = Trim(line.substr(13));
    response->content_type = Trim(value.substr(0, value.find(';')));
  } else if (HeaderIs(line, "Docker-Content-Digest")) {
    response->docker_digest = Trim(line.substr(22));
  }
  return size * count;
}

// libcurl's progress callback: a non-zero answer ends the transfer.
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(user))() ? 1 : 0;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<RegistryResponse*>(user);
  size_t n = size * count;
  std::string_view chunk(data, n);
  if (response->skip > 0) {
    size_t skipped = std::min<uint64_t>(response->skip, chunk.size());
    response->skip -= skipped;
    chunk.remove_prefix(skipped);
  }
  if (response->sink && response->status_ok) return response->sink(chunk) ? n : 0;
  uint64_t room = response->keep - response->body.size();
  if (chunk.size() > room) {
    response->body.append(chunk.substr(0, room));
    // A range is complete once kept; a whole document longer than its limit is refused.
    if (!response->range_offset) response->too_large = true;
    return 0;
  }
  response->body.append(chunk);
  return n;
}

}  // namespace

RegistryResponse RegistryClient::PerformOnce(CURL* curl, const std::string& url,
                                             const RegistryRequest& request,
                                             const std::string& authorization) const {
  RegistryResponse response;
  char error[CURL_ERROR_SIZE] = {};
  Curl().easy_setopt(curl, CURLOPT_URL, url.c_str());
  Curl().easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  Curl().easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  Curl().easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  Curl().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  Curl().easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  Curl().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  Curl().easy_setopt(curl, CURLOPT_USERAGENT, "imgmount");
  Curl().easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  Curl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  Curl().easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  Curl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  Curl().easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  if (!access_.tls_verify) {
    Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_blob ca{const_cast<char*>(ca_bundle_.data()), ca_bundle_.size(), CURL_BLOB_NOCOPY};
  if (!ca_bundle_.empty()) Curl().easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  if (!client_cert_.empty()) {
    Curl().easy_setopt(curl, CURLOPT_SSLCERT, client_cert_.c_str());
    Curl().easy_setopt(curl, CURLOPT_SSLKEY, client_key_.c_str());
  }
  if (request.head) Curl().easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.cancelled) {
    Curl().easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    Curl().easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
    Curl().easy_setopt(curl, CURLOPT_XFERINFODATA, &request.cancelled);
  }
  curl_slist* headers = nullptr;
  if (request.manifest) headers = Curl().slist_append(headers, kManifestAccept);
  std::string authorization_line = "Authorization: " + authorization;
  if (!authorization.empty()) headers = Curl().slist_append(headers, authorization_line.c_str());
  std::string range;
  response.keep = request.limit;
  response.sink = request.sink;
  if (request.range) {
    auto [offset, length] = *request.range;
    range = std::to_string(offset) + "-" + (length == 0 ? "" : std::to_string(offset + length - 1));
    Curl().easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    // An open-ended range streams into the sink: only an error body is kept, up to the limit.
    response.keep = length == 0 ? request.limit : length;
    response.range_offset = offset;
  }
  Curl().easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  response.code = Curl().easy_perform(curl);
  Curl().slist_free_all(headers);
  Curl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_off_t length = -1;
  Curl().easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  response.content_length = length;
  char* redirect = nullptr;
  Curl().easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect);
  if (redirect != nullptr) response.redirect_url = redirect;
  response.curl_error = error[0] != '\0' ? error : Curl().easy_strerror(response.code);
  return response;
}

namespace {

// How long to wait before the next attempt: what Retry-After asks (capped), else `backoff`.
std::chrono::milliseconds RetryDelay(const RegistryResponse& r, std::chrono::milliseconds backoff) {
  if ((r.status == 429 || r.status == 503) && !r.retry_after.empty()) {
    if (std::optional<long> seconds = RetryAfterSeconds(r.retry_after, std::time(nullptr))) {
      return std::chrono::seconds(std::min(*seconds, kMaxRetryAfterSeconds));
    }
  }
  return backoff;
}

}  // namespace

RegistryResponse RegistryClient::Perform(const RegistryRequest& request) const {
  auto backoff = std::chrono::milliseconds(250);
  // Answers to a 401: one (a cached token refused: a new one), two for a request sent
  // anonymously (the challenge taken up, then one replacement of a refused token).
  int auth_rounds = 0;
  int max_auth_rounds = 1;
  for (int attempt = 1;;) {
    std::string authorization = auth_->Authorization();
    RegistryResponse response = ToRegistry(request, authorization);
    if (response.status == 401 && response.from_registry) {
      if (auth_rounds == 0 && authorization.empty()) max_auth_rounds = 2;
      if (auth_rounds < max_auth_rounds &&
          auth_->OnUnauthorized(response.www_authenticate, authorization)) {
        ++auth_rounds;
        continue;
      }
    }
    if (attempt >= request.attempts || !Retryable(response)) {
      ThrowForStatus(request, response);
      return response;
    }
    std::this_thread::sleep_for(RetryDelay(response, backoff));
    backoff *= 2;
    ++attempt;
  }
}

FetchedDocument RegistryClient::GetManifest(const std::string& ref) const {
  bool by_digest = IsValidDigest(ref);
  RegistryRequest request;
  request.path = "manifests/" + ref;
  request.manifest = true;
  request.limit = kMaxDocumentBytes;
  request.what = by_digest ? "manifest " + ref : "tag \"" + ref + "\"";
  RegistryResponse r;
  try {
    r = Perform(request);
  } catch (const Error& e) {
    // Distribution answers MANIFEST_UNKNOWN for a tag of an unknown repository too; its tag
    // list tells the two apart.
    if (e.kind() == ErrorKind::kNotFound && !RepositoryExists()) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  reference_.given + ": repository \"" + reference_.repository +
                      "\" not found in registry " + reference_.registry);
    }
    throw;
  }
  FetchedDocument doc;
  doc.bytes = std::move(r.body);
  doc.media_type = r.content_type;
  std::string expected = by_digest ? ref : r.docker_digest;
  if (!expected.empty() && !IsValidDigest(expected)) {
    ThrowBadImage(reference_.given + ": the registry announces a malformed digest \"" + expected +
                  "\" for " + request.what);
  }
  doc.digest =
      DigestOf(doc.bytes, expected.empty() ? DigestAlgorithm::kSha256 : AlgorithmOf(expected));
  if (!expected.empty() && doc.digest != expected) {
    throw Error(ErrorKind::kIntegrity, EIO,
                reference_.given + ": " + request.what + ": the registry served bytes of digest " +
                    doc.digest + " for " + expected);
  }
  return doc;
}

bool RegistryClient::RepositoryExists() const {
  RegistryRequest request;
  request.path = "tags/list?n=1";
  request.limit = kErrorBodyLimit;
  request.what = "tag list";
  try {
    Perform(request);
  } catch (const Error& e) {
    return e.kind() != ErrorKind::kNotFound;
  }
  return true;
}

uint64_t RegistryClient::BlobSize(const std::string& digest) const {
  RegistryRequest request;
  request.head = true;
  request.path = "blobs/" + digest;
  request.what = "blob " + digest;
  RegistryResponse r = Perform(request);
  if (r.content_length < 0) {
    ThrowBadImage(reference_.given + ": " + request.what + ": the registry states no size");
  }
  return static_cast<uint64_t>(r.content_length);
}

std::string RegistryClient::GetBlobRange(const std::string& digest, uint64_t offset,
                                         uint64_t length, bool* range_ignored) const {
  if (length == 0) return "";
  RegistryRequest request;
  request.path = "blobs/" + digest;
  request.range = {offset, length};
  request.what = "blob " + digest;
  RegistryResponse r = Perform(request);
  if (range_ignored != nullptr) *range_ignored = r.status == 200;
  if (r.status == 416) return "";
  return std::move(r.body);
}

}  // namespace imgmount

namespace imgmount {

void RegistryClient::StreamBlob(const std::string& digest, uint64_t offset,
                                const std::function<bool(std::string_view)>& sink,
                                const std::function<bool()>& cancelled) const {
  RegistryRequest request;
  request.path = "blobs/" + digest;
  if (offset > 0) request.range = {offset, 0};  // to the end
  request.limit = kErrorBodyLimit;
  request.what = "blob " + digest;
  request.sink = sink;
  request.cancelled = cancelled;
  request.attempts = 1;  // the blob stream resumes where it stopped, by ranges
  Perform(request);
}

}  // namespace imgmount
