// Finding a registry's credentials the way containers/image (skopeo, podman) does.
//
// Files, in order: the --authfile or $REGISTRY_AUTH_FILE override alone when given; else
// $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME/containers/auth.json (~/.config when
// unset), ~/.docker/config.json, ~/.dockercfg. The first file with an entry for the image wins.
//
// Keys. An entry's key is a registry ("host:port") or a registry and a repository prefix
// ("host:port/team/app"); for host/team/app/x the keys tried are host/team/app/x, host/team/app,
// host/team, host, the most specific first. Keys written with a scheme ("https://host/v1/", as
// old Docker wrote them) are legacy keys: scheme and path are dropped and they match their host.
// index.docker.io and registry-1.docker.io stand for docker.io.
//
// Entries. {"auth": base64("user:password")} is used. An entry with only an "identitytoken", and
// "credHelpers" or "credsStore" (programs that hold the secrets) are not supported: they are
// reported (naming the helper) in the lookup's `skipped` so that an unauthorized message can say
// why no credentials were sent.
#include "layers/registry/auth_file.h"

#include <openssl/evp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "layers/base/error.h"
#include "layers/base/rapidjson.h"
#include "layers/registry/bounded_file.h"

namespace imgmount {
namespace {

constexpr size_t kMaxAuthFileBytes = 4 << 20;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string HomeDir() {
  std::string home = Env("HOME");
  if (!home.empty()) return home;
  const passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "";
}

std::string NormalizeHost(std::string host) {
  if (host == "index.docker.io" || host == "registry-1.docker.io") return "docker.io";
  return host;
}

// The key as a lookup key: a legacy key ("https://host/v1/") becomes its host.
std::string NormalizeKey(const std::string& key) {
  for (const char* scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) {
      std::string rest = key.substr(std::char_traits<char>::length(scheme));
      return NormalizeHost(rest.substr(0, rest.find('/')));
    }
  }
  size_t slash = key.find('/');
  if (slash == std::string::npos) return NormalizeHost(key);
  return NormalizeHost(key.substr(0, slash)) + key.substr(slash);
}

// The file's JSON, or nullopt if it does not exist.
std::optional<rapidjson::Document> ReadJson(const std::string& path) {
  std::optional<std::string> bytes = ReadBoundedFile(path, kMaxAuthFileBytes, "auth file " + path);
  if (!bytes) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    ThrowSystemError("auth file " + path);
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(bytes->c_str(), bytes->size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw Error(ErrorKind::kUsage, EINVAL, "auth file " + path + " is not a JSON object");
  }
  return doc;
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// The entry of `map` (an object of key -> entry) best matching `keys`, or nullptr.
const rapidjson::Value* BestEntry(const rapidjson::Value* map, const std::vector<std::string>& keys,
                                  std::string* matched) {
  if (map == nullptr || !map->IsObject()) return nullptr;
  for (const std::string& key : keys) {
    for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
      if (NormalizeKey(it->name.GetString()) == key) {
        *matched = it->name.GetString();
        return &it->value;
      }
    }
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> AuthFilePaths(const RegistryAccess& access) {
  if (!access.auth_file.empty()) return {access.auth_file};
  std::string override_file = Env("REGISTRY_AUTH_FILE");
  if (!override_file.empty()) return {override_file};
  std::vector<std::string> paths;
  std::string runtime = Env("XDG_RUNTIME_DIR");
  if (!runtime.empty()) paths.push_back(runtime + "/containers/auth.json");
  std::string home = HomeDir();
  std::string config = Env("XDG_CONFIG_HOME");
  if (config.empty() && !home.empty()) config = home + "/.config";
  if (!config.empty()) paths.push_back(config + "/containers/auth.json");
  if (!home.empty()) {
    paths.push_back(home + "/.docker/config.json");
    paths.push_back(home + "/.dockercfg");
  }
  return paths;
}

std::vector<std::string> AuthKeysFor(const std::string& registry, const std::string& repository) {
  std::string host = NormalizeHost(registry);
  std::vector<std::string> keys;
  std::string path = repository;
  while (!path.empty()) {
    keys.push_back(host + "/" + path);
    size_t slash = path.rfind('/');
    path = slash == std::string::npos ? "" : path.substr(0, slash);
  }
  keys.push_back(host);
  return keys;
}

Credentials ParseCreds(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw Error(ErrorKind::kUsage, EINVAL,
                "--creds wants USER:PASSWORD (a user name, a colon and the password)");
  }
  return {text.substr(0, colon), text.substr(colon + 1)};
}

CredentialLookup FindCredentials(const std::string& registry, const std::string& repository,
                                 const RegistryAccess& access) {
  CredentialLookup lookup;
  if (access.creds) {
    lookup.credentials = ParseCreds(*access.creds);
    lookup.source = "--creds";
    return lookup;
  }
  std::vector<std::string> keys = AuthKeysFor(registry, repository);
  for (const std::string& path : AuthFilePaths(access)) {
    std::optional<rapidjson::Document> doc = ReadJson(path);
    if (!doc) continue;
    bool legacy = path.ends_with("/.dockercfg");
    std::string matched;
    if (!legacy) {
      if (const rapidjson::Value* helpers = Member(*doc, "credHelpers")) {
        const rapidjson::Value* helper = BestEntry(helpers, {NormalizeHost(registry)}, &matched);
        if (helper != nullptr && helper->IsString()) {
          lookup.skipped = "the credential helper docker-credential-" +
                           std::string(helper->GetString()) + " that " + path + " names for " +
                           registry + " is not supported";
          return lookup;
        }
      }
    }
    const rapidjson::Value* entry =
        BestEntry(legacy ? &*doc : Member(*doc, "auths"), keys, &matched);
    if (entry == nullptr) {
      const rapidjson::Value* store = legacy ? nullptr : Member(*doc, "credsStore");
      if (store != nullptr && store->IsString() && lookup.skipped.empty()) {
        lookup.skipped = "the credentials store docker-credential-" +
                         std::string(store->GetString()) + " that " + path +
                         " names is not supported";
      }
      continue;
    }
    const rapidjson::Value* auth = Member(*entry, "auth");
    if (auth == nullptr || !auth->IsString() || auth->GetStringLength() == 0) {
      if (Member(*entry, "identitytoken") != nullptr) {
        lookup.skipped =
            "the identity token of entry \"" + matched + "\" of " + path + " is not supported";
        return lookup;
      }
      continue;
    }
    std::optional<std::string> decoded = Base64Decode(auth->GetString());
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      throw Error(ErrorKind::kUsage, EINVAL,
                  "auth file " + path + ": the \"auth\" of entry \"" + matched +
                      "\" is not base64 of USER:PASSWORD");
    }
    lookup.credentials = Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
    lookup.source = path;
    lookup.skipped.clear();
    return lookup;
  }
  return lookup;
}

std::string Base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(const std::string& text) {
  std::string clean;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = clean.ends_with("==") ? 2 : clean.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace imgmount
