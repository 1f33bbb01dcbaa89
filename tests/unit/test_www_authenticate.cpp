// The pure parts of the registry transport: WWW-Authenticate challenges as RFC 7235 writes them
// (quoted strings with commas and escapes, several challenges in one header, token68), the
// origin of a URL (where an Authorization header may go), and Retry-After in both forms.
#include <catch2/catch.hpp>
#include <string>

#include "layers/registry/http_origin.h"
#include "layers/registry/www_authenticate.h"

using namespace imgmount;

TEST_CASE("www-authenticate: the distribution spec's Bearer challenge", "[auth]") {
  auto c = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",)"
      R"(scope="repository:team/app:pull")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params.at("realm") == "https://auth.example.com/token");
  CHECK(c[0].params.at("service") == "registry.example.com");
  CHECK(c[0].params.at("scope") == "repository:team/app:pull");
}

TEST_CASE("www-authenticate: commas and escapes inside quotes, spaces, case", "[auth]") {
  auto c = ParseWwwAuthenticate(
      R"(BEARER  Realm = "https://a/t?x=1,2" , scope="repository:a:pull,push",)"
      R"( error="insufficient_scope", note="say \"hi\"")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].scheme == "bearer");
  CHECK(c[0].params.at("realm") == "https://a/t?x=1,2");
  CHECK(c[0].params.at("scope") == "repository:a:pull,push");
  CHECK(c[0].params.at("error") == "insufficient_scope");
  CHECK(c[0].params.at("note") == R"(say "hi")");
}

TEST_CASE("www-authenticate: several challenges, unquoted values, token68", "[auth]") {
  auto c = ParseWwwAuthenticate(
      R"(Negotiate abc+/==, Basic realm="Registry Realm", Bearer realm=https://x/t,service=x)");
  REQUIRE(c.size() == 3);
  CHECK(c[0].scheme == "negotiate");
  CHECK(c[0].params.at("") == "abc+/==");
  CHECK(c[1].scheme == "basic");
  CHECK(c[1].params.at("realm") == "Registry Realm");
  CHECK(c[2].scheme == "bearer");
  CHECK(c[2].params.at("realm") == "https://x/t");
  CHECK(c[2].params.at("service") == "x");
}

TEST_CASE("www-authenticate: malformed headers give what was read, never more", "[auth]") {
  CHECK(ParseWwwAuthenticate("").empty());
  CHECK(ParseWwwAuthenticate(" , ,").empty());
  auto unterminated = ParseWwwAuthenticate(R"(Bearer service="s", realm="https://x/t, x=y)");
  REQUIRE(unterminated.size() == 1);
  CHECK(unterminated[0].params.at("service") == "s");
  CHECK(unterminated[0].params.count("realm") == 0);
  auto garbage = ParseWwwAuthenticate(R"(Basic realm="r" "stray")");
  REQUIRE(garbage.size() == 1);
  CHECK(garbage[0].params.at("realm") == "r");
  auto bare = ParseWwwAuthenticate("Basic");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].scheme == "basic");
  CHECK(bare[0].params.empty());
}

TEST_CASE("origins: scheme, host and explicit port; paths and queries do not count", "[auth]") {
  auto a = OriginOf("https://Registry.Example.com/v2/x/blobs/sha256:1?sig=secret");
  REQUIRE(a);
  CHECK(a->scheme == "https");
  CHECK(a->host == "registry.example.com");
  CHECK(a->port == "443");
  CHECK(a->ToString() == "https://registry.example.com:443");
  CHECK(OriginOf("https://registry.example.com:443/other") == a);
  CHECK_FALSE(OriginOf("http://registry.example.com/v2/") == a);
  CHECK_FALSE(OriginOf("https://registry.example.com:5000/v2/") == a);
  CHECK_FALSE(OriginOf("https://storage.example.com/v2/") == a);
  CHECK(OriginOf("http://127.0.0.1:5000/x")->port == "5000");
  CHECK_FALSE(OriginOf("not a url"));
}

TEST_CASE("retry-after: seconds, an HTTP date, and nonsense", "[auth]") {
  std::time_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(RetryAfterSeconds("3", now) == 3L);
  CHECK(RetryAfterSeconds(" 120 ", now) == 120L);
  CHECK(RetryAfterSeconds("Sun, 06 Nov 1994 08:49:47 GMT", now) == 10L);
  CHECK(RetryAfterSeconds("Sun, 06 Nov 1994 08:49:00 GMT", now) == 0L);
  CHECK_FALSE(RetryAfterSeconds("", now));
  CHECK_FALSE(RetryAfterSeconds("-1", now));
  CHECK_FALSE(RetryAfterSeconds("soon", now));
}
