// The authentication of the registry client (the distribution spec's token flow, RFC 7617 Basic).
//
// A client starts anonymous. A 401 carries a WWW-Authenticate challenge:
//   Bearer realm="https://auth/token",service="registry",scope="repository:team/app:pull"
//     -> GET realm?service=...&scope=... (with Basic credentials when some are known for the
//        registry, else anonymous); the answer's "token" (or "access_token") is cached for that
//        scope until "expires_in" (60 s when absent) runs out and sent as "Authorization: Bearer".
//        A 401 to a request that carried a token drops it and fetches a new one, once per
//        request (registry_client.cpp), so a token refused twice ends there.
//   Basic realm="..." -> the credentials, if any, are sent with every later request.
// Credentials are looked up once, on the first challenge, so an anonymous pull never reads an
// auth file. Neither credentials nor tokens appear in any message.
#include "layers/registry/registry_auth.h"

#include <algorithm>
#include <cerrno>

#include "layers/base/error.h"
#include "layers/base/rapidjson.h"
#include "layers/registry/www_authenticate.h"

namespace imgmount {
namespace {

constexpr long kDefaultTokenSeconds = 60;

const std::string* Param(const AuthChallenge& challenge, const char* name) {
  auto it = challenge.params.find(name);
  return it == challenge.params.end() ? nullptr : &it->second;
}

}  // namespace

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::optional<std::pair<std::string, long>> ParseTokenAnswer(const std::string& body) {
  rapidjson::Document doc;
  // Iterative: a hostile token server cannot exhaust the stack with nesting.
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  const rapidjson::Value& answer = doc;  // const iterators: clang's C++20 operator lookup
  std::string token;
  for (const char* name : {"token", "access_token"}) {
    auto it = answer.FindMember(name);
    if (it != answer.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      token.assign(it->value.GetString(), it->value.GetStringLength());
      break;
    }
  }
  // The token goes verbatim into an Authorization header line: a space, a control byte or
  // CR/LF (a header of the token server's choosing) makes it no token.
  if (token.empty() || !std::all_of(token.begin(), token.end(),
                                    [](unsigned char c) { return c >= 0x21 && c <= 0x7E; })) {
    return std::nullopt;
  }
  long seconds = kDefaultTokenSeconds;
  auto expires = answer.FindMember("expires_in");
  if (expires != answer.MemberEnd() && expires->value.IsInt64() && expires->value.GetInt64() > 0) {
    seconds = static_cast<long>(std::min<int64_t>(expires->value.GetInt64(), 365L * 86400));
  }
  return std::make_pair(token, seconds);
}

RegistryAuth::RegistryAuth(std::string registry, std::string repository, RegistryAccess access,
                           TokenFetcher fetch, Clock now)
    : registry_(std::move(registry)),
      repository_(std::move(repository)),
      access_(std::move(access)),
      fetch_(std::move(fetch)),
      now_(std::move(now)) {
  if (access_.creds) ParseCreds(*access_.creds);  // a malformed --creds is said at once
}

const CredentialLookup& RegistryAuth::Lookup() {
  if (!lookup_) lookup_ = FindCredentials(registry_, repository_, access_);
  return *lookup_;
}

std::string RegistryAuth::BasicHeader() {
  const std::optional<Credentials>& creds = Lookup().credentials;
  if (!creds) return "";
  return "Basic " + Base64Encode(creds->username + ":" + creds->password);
}

std::string RegistryAuth::Authorization() {
  std::lock_guard lock(mu_);
  if (scheme_ == Scheme::kBasic) return BasicHeader();
  if (scheme_ != Scheme::kBearer) return "";
  auto it = tokens_.find(scope_);
  if (it != tokens_.end() && now_() < it->second.expires) return "Bearer " + it->second.value;
  if (!FetchToken(scope_)) return "";
  return "Bearer " + tokens_.at(scope_).value;
}

bool RegistryAuth::FetchToken(const std::string& scope) {
  tokens_.erase(scope);
  std::string url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&");
  if (!service_.empty()) url += "service=" + UrlEncode(service_) + "&";
  url += "scope=" + UrlEncode(scope);
  const std::optional<Credentials>& creds = Lookup().credentials;
  if (creds) url += "&account=" + UrlEncode(creds->username);
  TokenAnswer answer = fetch_(url, BasicHeader());
  ++tokens_fetched_;
  if (answer.status == 401 || answer.status == 403) {
    token_refusal_ = "the token server " + realm_ + " refused " +
                     (creds ? "the credentials from " + Lookup().source : "anonymous access") +
                     " (HTTP " + std::to_string(answer.status) + ")";
    return false;
  }
  if (answer.status != 200) {
    throw Error(ErrorKind::kIo, EIO,
                "registry " + registry_ + ": the token server " + realm_ + " answers HTTP " +
                    std::to_string(answer.status));
  }
  std::optional<std::pair<std::string, long>> token = ParseTokenAnswer(answer.body);
  if (!token) {
    throw Error(
        ErrorKind::kIo, EPROTO,
        "registry " + registry_ + ": the token server " + realm_ + " answers without a token");
  }
  tokens_[scope] = {token->first, now_() + std::chrono::seconds(token->second)};
  return true;
}

bool RegistryAuth::OnUnauthorized(const std::string& challenge_text, const std::string& sent) {
  std::lock_guard lock(mu_);
  std::vector<AuthChallenge> challenges = ParseWwwAuthenticate(challenge_text);
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
    if (c.scheme == "basic" && basic == nullptr) basic = &c;
  }
  if (bearer != nullptr) {
    const std::string* realm = Param(*bearer, "realm");
    if (realm == nullptr || realm->empty()) return false;
    const std::string* service = Param(*bearer, "service");
    const std::string* scope = Param(*bearer, "scope");
    bool same_server = scheme_ == Scheme::kBearer && realm_ == *realm;
    scheme_ = Scheme::kBearer;
    realm_ = *realm;
    service_ = service != nullptr ? *service : "";
    scope_ = scope != nullptr && !scope->empty() ? *scope : "repository:" + repository_ + ":pull";
    // A request sent before another one's 401 replaced the token uses the new token: a refused
    // token is fetched again once, not once per request that was in flight with it.
    auto it = tokens_.find(scope_);
    if (same_server && it != tokens_.end() && now_() < it->second.expires &&
        sent != "Bearer " + it->second.value) {
      return true;
    }
    return FetchToken(scope_);
  }
  if (basic != nullptr) {
    if (sent.starts_with("Basic ")) return false;  // these credentials were refused
    scheme_ = Scheme::kBasic;
    return Lookup().credentials.has_value();
  }
  return false;
}

std::string RegistryAuth::Explain() {
  std::lock_guard lock(mu_);
  if (!token_refusal_.empty()) return token_refusal_;
  const CredentialLookup& lookup = Lookup();
  if (lookup.credentials) return "the credentials from " + lookup.source + " were refused";
  std::string why = "no credentials for " + registry_ +
                    " (--creds, --authfile or an auth file such as ~/.docker/config.json)";
  if (!lookup.skipped.empty()) why += "; " + lookup.skipped;
  return why;
}

int RegistryAuth::TokensFetched() const {
  std::lock_guard lock(mu_);
  return tokens_fetched_;
}

}  // namespace imgmount
