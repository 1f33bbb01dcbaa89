// What one HTTP exchange of the registry client asks and gets: shared by the client's requests
// (registry_client.cpp), its transport (registry_transport.cpp) and its error classification
// (registry_errors.cpp), nothing else.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace imgmount {

/// Attempts made before a retryable failure is reported.
inline constexpr int kAttempts = 4;

/// One HTTP request of the client.
struct RegistryRequest {
  bool head = false;
  std::string path;
  bool manifest = false;
  /// Bytes [skip, skip + limit) of the body are kept; more than that ends the transfer.
  std::optional<std::pair<uint64_t, uint64_t>> range;
  uint64_t limit = 0;
  /// What is fetched, for messages ("manifest latest", "blob sha256:ab12..").
  std::string what;
  /// When set, the body (after the bytes a 200 answer to a range skips) goes to this callback
  /// instead of `body`; it returns false to end the transfer.
  std::function<bool(std::string_view)> sink;
  /// When set, asked about once a second during the transfer; true ends it.
  std::function<bool()> cancelled;
  /// Attempts for a retryable failure (401s answered by auth do not count); a stream whose
  /// reader resumes by itself after a failure makes one.
  int attempts = kAttempts;
};

/// What one HTTP request got.
struct RegistryResponse {
  long status = 0;
  CURLcode code = CURLE_OK;
  std::string curl_error;
  std::string body;
  std::string content_type;
  std::string docker_digest;
  int64_t content_length = -1;
  /// Where a range request starts: a 200 answer skips that many bytes of its body.
  std::optional<uint64_t> range_offset;
  /// Bytes of the body still to skip.
  uint64_t skip = 0;
  /// Bytes of the body kept; a body longer than that ends the transfer.
  uint64_t keep = 0;
  /// Whether the transfer ended because a whole body was longer than its limit.
  bool too_large = false;
  /// WWW-Authenticate (several joined by ", "), Retry-After, and where a 3xx points (absolute).
  std::string www_authenticate;
  std::string retry_after;
  std::string redirect_url;
  /// Whether the answer came from the registry's own origin (not a redirect's target).
  bool from_registry = true;
  /// Whether the answer's status is 200 or 206 (only such a body goes to the sink).
  bool status_ok = false;
  /// The request's sink, if any (a successful answer's body goes there).
  std::function<bool(std::string_view)> sink;
};

/// Whether the transfer was ended on purpose: a range complete, or a document over its limit.
bool EndedByLimit(const RegistryResponse& r);

/// Whether `code` is a dropped, refused or timed-out connection (worth another attempt).
bool NetworkFailure(CURLcode code);

/// Whether `r` is worth another attempt: a network failure, 429 or a 5xx.
bool Retryable(const RegistryResponse& r);

/// Redirects followed for one request.
inline constexpr int kMaxRedirects = 5;

/// The longest wait a Retry-After header gets.
inline constexpr long kMaxRetryAfterSeconds = 30;

}  // namespace imgmount
