// Small HTTP facts the registry client's transport decides on: the origin of a URL (where an
// Authorization header may go) and the delay a Retry-After header asks for.
#pragma once

#include <ctime>
#include <optional>
#include <string>

namespace imgmount {

/// The scheme, host and port of a URL (RFC 6454's origin), the port made explicit.
struct HttpOrigin {
  std::string scheme;
  std::string host;
  std::string port;

  /// "scheme://host:port", for messages (no path or query: those may carry signatures).
  std::string ToString() const { return scheme + "://" + host + ":" + port; }
  bool operator==(const HttpOrigin&) const = default;
};

/// The origin of absolute URL `url` (libcurl's URL parser), or nullopt if it is not one.
std::optional<HttpOrigin> OriginOf(const std::string& url);

/// The seconds a Retry-After header value asks to wait, given the time `now`: delta-seconds, or
/// an HTTP date minus now (0 if past); nullopt if the value is neither.
std::optional<long> RetryAfterSeconds(const std::string& value, std::time_t now);

}  // namespace imgmount
