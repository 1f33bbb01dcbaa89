// Where registry credentials come from (containers/image's order and key matching, with a
// temporary HOME and XDG directories), and the token flow's bookkeeping: tokens cached per
// scope until they expire, a refused token replaced once, Basic only when asked for, and no
// message carrying a password.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "layers/base/error.h"
#include "layers/registry/auth_file.h"
#include "layers/registry/registry_auth.h"
#include "tests/unit/test_index_cache_support.h"

using namespace imgmount;
using imgmount::testing::TempDir;

namespace {

// Sets environment variables for one test and puts the old values back.
class EnvGuard {
 public:
  void Set(const std::string& name, const std::string& value) {
    Save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void Unset(const std::string& name) {
    Save(name);
    ::unsetenv(name.c_str());
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  void Save(const std::string& name) {
    if (saved_.count(name) != 0) return;
    const char* old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string AuthsFile(const std::string& key, const std::string& user_pass) {
  return R"({"auths":{")" + key + R"(":{"auth":")" + Base64Encode(user_pass) + R"("}}})";
}

// A HOME and XDG dirs under `dir`, no REGISTRY_AUTH_FILE.
void IsolateEnvironment(EnvGuard& env, const TempDir& dir) {
  env.Set("HOME", dir / "home");
  env.Set("XDG_RUNTIME_DIR", dir / "run");
  env.Unset("XDG_CONFIG_HOME");
  env.Unset("REGISTRY_AUTH_FILE");
}

std::string UserOf(const CredentialLookup& lookup) {
  return lookup.credentials ? lookup.credentials->username : "";
}

}  // namespace

TEST_CASE("credentials: base64 both ways", "[auth]") {
  CHECK(Base64Encode("user:pass") == "dXNlcjpwYXNz");
  CHECK(Base64Encode("a") == "YQ==");
  CHECK(Base64Decode("dXNlcjpwYXNz") == std::optional<std::string>("user:pass"));
  CHECK(Base64Decode("YQ==") == std::optional<std::string>("a"));
  CHECK(Base64Decode("YWI=") == std::optional<std::string>("ab"));
  CHECK_FALSE(Base64Decode("YQ="));
  CHECK_FALSE(Base64Decode("!!!!"));
}

TEST_CASE("credentials: keys from the repository up to the registry", "[auth]") {
  CHECK(AuthKeysFor("reg.local:5000", "ns/user/app") ==
        std::vector<std::string>{"reg.local:5000/ns/user/app", "reg.local:5000/ns/user",
                                 "reg.local:5000/ns", "reg.local:5000"});
  CHECK(AuthKeysFor("docker.io", "library/alpine").back() == "docker.io");
}

TEST_CASE("credentials: the files in containers/image's order", "[auth]") {
  TempDir dir;
  EnvGuard env;
  IsolateEnvironment(env, dir);
  RegistryAccess access;
  CHECK(AuthFilePaths(access) == std::vector<std::string>{dir / "run/containers/auth.json",
                                                          dir / "home/.config/containers/auth.json",
                                                          dir / "home/.docker/config.json",
                                                          dir / "home/.dockercfg"});
  env.Set("XDG_CONFIG_HOME", dir / "cfg");
  CHECK(AuthFilePaths(access)[1] == dir / "cfg/containers/auth.json");
  env.Set("REGISTRY_AUTH_FILE", dir / "override.json");
  CHECK(AuthFilePaths(access) == std::vector<std::string>{dir / "override.json"});
  access.auth_file = dir / "given.json";
  CHECK(AuthFilePaths(access) == std::vector<std::string>{dir / "given.json"});
}

TEST_CASE("credentials: the first file with an entry wins, then its most specific key", "[auth]") {
  TempDir dir;
  EnvGuard env;
  IsolateEnvironment(env, dir);
  const std::string reg = "reg.local:5000";
  CHECK_FALSE(FindCredentials(reg, "team/app", {}).credentials);

  Write(dir / "home/.dockercfg",
        R"({"https://reg.local:5000/v1/":{"auth":")" + Base64Encode("legacy:pw") + R"("}})");
  CHECK(UserOf(FindCredentials(reg, "team/app", {})) == "legacy");

  Write(dir / "home/.docker/config.json", AuthsFile("https://reg.local:5000/v1/", "docker:pw"));
  CHECK(UserOf(FindCredentials(reg, "team/app", {})) == "docker");

  Write(dir / "home/.config/containers/auth.json",
        R"({"auths":{"reg.local:5000":{"auth":")" + Base64Encode("host:pw") +
            R"("},"reg.local:5000/team":{"auth":")" + Base64Encode("team:pw") +
            R"("},"reg.local:5000/other":{"auth":")" + Base64Encode("other:pw") + R"("}}})");
  CHECK(UserOf(FindCredentials(reg, "team/app", {})) == "team");
  CHECK(UserOf(FindCredentials(reg, "solo", {})) == "host");
  // A key for another registry (or a port-less one) does not match.
  CHECK(UserOf(FindCredentials("reg.local", "team/app", {})) == "");

  Write(dir / "run/containers/auth.json", AuthsFile("reg.local:5000", "runtime:p:w"));
  CredentialLookup found = FindCredentials(reg, "team/app", {});
  CHECK(UserOf(found) == "runtime");
  CHECK(found.credentials->password == "p:w");
  CHECK(found.source == dir / "run/containers/auth.json");

  RegistryAccess creds;
  creds.creds = "cli:secret";
  CHECK(UserOf(FindCredentials(reg, "team/app", creds)) == "cli");
  CHECK(FindCredentials(reg, "team/app", creds).source == "--creds");

  env.Set("REGISTRY_AUTH_FILE", dir / "override.json");
  CHECK_FALSE(FindCredentials(reg, "team/app", {}).credentials);  // the override file alone
  Write(dir / "override.json", AuthsFile("reg.local:5000/team/app", "override:pw"));
  CHECK(UserOf(FindCredentials(reg, "team/app", {})) == "override");
}

TEST_CASE("credentials: docker.io's other names, helpers, bad files", "[auth]") {
  TempDir dir;
  EnvGuard env;
  IsolateEnvironment(env, dir);
  Write(dir / "home/.docker/config.json",
        AuthsFile("https://index.docker.io/v1/", "hub:pw").insert(1, R"("credsStore":"desktop",)"));
  CHECK(UserOf(FindCredentials("docker.io", "library/alpine", {})) == "hub");
  CredentialLookup store = FindCredentials("quay.io", "x/y", {});
  CHECK_FALSE(store.credentials);
  CHECK(store.skipped.find("docker-credential-desktop") != std::string::npos);

  Write(dir / "home/.docker/config.json", R"({"credHelpers":{"quay.io":"ecr-login"}})");
  CredentialLookup helper = FindCredentials("quay.io", "x/y", {});
  CHECK_FALSE(helper.credentials);
  CHECK(helper.skipped.find("docker-credential-ecr-login") != std::string::npos);

  Write(dir / "home/.docker/config.json", R"({"auths":{"quay.io":{"auth":"c2VjcmV0"}}})");
  try {
    FindCredentials("quay.io", "x/y", {});
    FAIL("an auth without a colon was taken");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(std::string(e.what()).find("config.json") != std::string::npos);
    CHECK(std::string(e.what()).find("c2VjcmV0") == std::string::npos);
  }
  Write(dir / "home/.docker/config.json", "{not json");
  CHECK_THROWS_AS(FindCredentials("quay.io", "x/y", {}), Error);

  RegistryAccess no_colon;
  no_colon.creds = "justauser";
  try {
    ParseCreds(*no_colon.creds);
    FAIL("--creds without a password was taken");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(std::string(e.what()).find("justauser") == std::string::npos);
  }
}

TEST_CASE("token answers: token or access_token, expires_in", "[auth]") {
  CHECK(ParseTokenAnswer(R"({"token":"t1","expires_in":300})") ==
        std::make_pair(std::string("t1"), 300L));
  CHECK(ParseTokenAnswer(R"({"access_token":"t2"})") == std::make_pair(std::string("t2"), 60L));
  CHECK(ParseTokenAnswer(R"({"token":"t3","expires_in":-5})")->second == 60);
  CHECK_FALSE(ParseTokenAnswer(R"({"token":""})"));
  CHECK_FALSE(ParseTokenAnswer(R"({"token":5})"));
  CHECK_FALSE(ParseTokenAnswer("<html>"));
  // It goes verbatim into a header line: CR/LF would inject headers of the server's choosing.
  CHECK_FALSE(ParseTokenAnswer(R"({"token":"t4\r\nX-Injected: 1"})"));
  CHECK_FALSE(ParseTokenAnswer(R"({"token":"t5\n"})"));
  CHECK_FALSE(ParseTokenAnswer(R"({"token":"t 6"})"));
  CHECK_FALSE(ParseTokenAnswer(R"({"token":"t7\u0000x"})"));
  CHECK_FALSE(ParseTokenAnswer(R"({"access_token":"t8\u007f"})"));
  CHECK_FALSE(ParseTokenAnswer("{\"token\":\"t9\xc3\xa9\"}"));
  CHECK(ParseTokenAnswer(R"({"token":"!~.-_=+/"})")->first == "!~.-_=+/");
  CHECK(UrlEncode("repository:a/b:pull") == "repository%3Aa%2Fb%3Apull");
}

TEST_CASE("token flow: cached per scope until it expires, replaced once when refused", "[auth]") {
  TempDir dir;
  EnvGuard env;
  IsolateEnvironment(env, dir);
  auto now = std::chrono::steady_clock::time_point();
  std::vector<std::pair<std::string, std::string>> asked;
  int serial = 0;
  RegistryAccess access;
  access.creds = "alice:s3cret";
  RegistryAuth auth(
      "reg.local:5000", "team/app", access,
      [&](const std::string& url, const std::string& authorization) {
        asked.emplace_back(url, authorization);
        return TokenAnswer{
            200, R"({"token":"tok)" + std::to_string(++serial) + R"(","expires_in":120})"};
      },
      [&] { return now; });
  CHECK(auth.Authorization().empty());  // anonymous first
  const std::string challenge =
      R"(Bearer realm="https://auth.local/token",service="reg",scope="repository:team/app:pull")";
  REQUIRE(auth.OnUnauthorized(challenge, ""));
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].first ==
        "https://auth.local/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull"
        "&account=alice");
  CHECK(asked[0].second == "Basic " + Base64Encode("alice:s3cret"));
  CHECK(auth.Authorization() == "Bearer tok1");
  now += std::chrono::seconds(119);
  CHECK(auth.Authorization() == "Bearer tok1");  // reused, not fetched again
  CHECK(asked.size() == 1);
  now += std::chrono::seconds(2);
  CHECK(auth.Authorization() == "Bearer tok2");  // expired: fetched again
  CHECK(asked.size() == 2);
  REQUIRE(auth.OnUnauthorized(challenge, "Bearer tok2"));  // refused: a new one
  CHECK(auth.Authorization() == "Bearer tok3");
  CHECK(auth.TokensFetched() == 3);
  // Requests sent with the old token (or before any) that come back 401 after tok3 replaced it
  // use tok3: one refused token is replaced once, not once per request in flight.
  REQUIRE(auth.OnUnauthorized(challenge, "Bearer tok2"));
  REQUIRE(auth.OnUnauthorized(challenge, ""));
  CHECK(auth.Authorization() == "Bearer tok3");
  CHECK(auth.TokensFetched() == 3);
  CHECK(auth.Explain().find("s3cret") == std::string::npos);
}

TEST_CASE("token flow: a refusing token server, Basic challenges", "[auth]") {
  TempDir dir;
  EnvGuard env;
  IsolateEnvironment(env, dir);
  auto refuse = [](const std::string&, const std::string&) { return TokenAnswer{401, ""}; };
  RegistryAuth anonymous("reg.local:5000", "team/app", {}, refuse);
  CHECK_FALSE(anonymous.OnUnauthorized(R"(Bearer realm="https://auth.local/token")", ""));
  CHECK(anonymous.Explain().find("refused anonymous access") != std::string::npos);

  RegistryAuth no_creds("reg.local:5000", "team/app", {}, refuse);
  CHECK_FALSE(no_creds.OnUnauthorized(R"(Basic realm="Registry")", ""));
  CHECK(no_creds.Explain().find("no credentials for reg.local:5000") != std::string::npos);

  RegistryAccess access;
  access.creds = "bob:hunter2";
  RegistryAuth basic("reg.local:5000", "team/app", access, refuse);
  REQUIRE(basic.OnUnauthorized(R"(Basic realm="Registry")", ""));
  std::string header = basic.Authorization();
  CHECK(header == "Basic " + Base64Encode("bob:hunter2"));
  CHECK_FALSE(basic.OnUnauthorized(R"(Basic realm="Registry")", header));
  CHECK(basic.Explain() == "the credentials from --creds were refused");
}
