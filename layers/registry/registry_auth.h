// Who the registry client says it is: anonymous first; after a 401, the Bearer token flow of the
// distribution spec (token fetched from the realm the challenge names, cached per scope until it
// expires) or Basic credentials, as the challenge asks. Credentials come from auth_file.h.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "layers/registry/auth_file.h"
#include "layers/registry/registry_access.h"

namespace imgmount {

/// The answer of a token server: its HTTP status and body.
struct TokenAnswer {
  long status = 0;
  std::string body;
};

/// Does GET `url` with the header "Authorization: `authorization`" (none if "") for a token.
using TokenFetcher =
    std::function<TokenAnswer(const std::string& url, const std::string& authorization)>;

/// The authentication state of one registry client (one registry and repository). Thread-safe.
class RegistryAuth {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// Authentication to `repository` of `registry` with `access`'s credentials; tokens are
  /// fetched with `fetch` and expire by `now`.
  RegistryAuth(std::string registry, std::string repository, RegistryAccess access,
               TokenFetcher fetch, Clock now = std::chrono::steady_clock::now);

  /// The Authorization header value for the next request to the registry ("" = none): the
  /// cached token while it lasts (a new one fetched when it has expired), or Basic credentials
  /// once the registry asked for them.
  std::string Authorization();

  /// Handles a 401 whose WWW-Authenticate header is `challenge`, to a request sent with the
  /// Authorization value `sent`: fetches a token (dropping a refused one) or takes up Basic
  /// credentials. True if sending the request again with Authorization() may succeed.
  bool OnUnauthorized(const std::string& challenge, const std::string& sent);

  /// Why access is refused, for the unauthorized message: which credentials were tried and
  /// where they came from, or that none were found (never the credentials themselves).
  std::string Explain();

  /// How many tokens were fetched (for tests).
  int TokensFetched() const;

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };

  const CredentialLookup& Lookup();
  std::string BasicHeader();
  bool FetchToken(const std::string& scope);

  std::string registry_;
  std::string repository_;
  RegistryAccess access_;
  TokenFetcher fetch_;
  Clock now_;
  mutable std::mutex mu_;
  std::optional<CredentialLookup> lookup_;
  enum class Scheme { kNone, kBasic, kBearer } scheme_ = Scheme::kNone;
  std::string realm_;
  std::string service_;
  std::string scope_;
  std::map<std::string, Token> tokens_;
  int tokens_fetched_ = 0;
  std::string token_refusal_;
};

/// The token of a token server's JSON answer ("token", else "access_token") and its lifetime
/// in seconds ("expires_in", 60 when absent or not positive); nullopt if the body has no token,
/// or one with a byte outside 0x21..0x7E (it would go into a header line as it is).
std::optional<std::pair<std::string, long>> ParseTokenAnswer(const std::string& body);

/// `text` with every byte but unreserved ones percent-encoded (for query parameters).
std::string UrlEncode(const std::string& text);

}  // namespace imgmount
