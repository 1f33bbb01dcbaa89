// The WWW-Authenticate header of RFC 7235: challenges ("Bearer realm=\"...\",service=...") with
// their parameters, quoted strings (and the commas and escapes inside them) handled.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace imgmount {

/// One challenge of a WWW-Authenticate header.
struct AuthChallenge {
  /// The scheme in lower case ("bearer", "basic").
  std::string scheme;
  /// The parameters by lower-case name, values unquoted ("realm", "service", "scope").
  std::map<std::string, std::string> params;
};

/// The challenges of a WWW-Authenticate header value, in order. Malformed parts end the parse:
/// what was read until then is returned (a header from the network is never trusted).
std::vector<AuthChallenge> ParseWwwAuthenticate(const std::string& value);

}  // namespace imgmount
