// Parsing of registry references. The grammar is that of docker/distribution's reference
// package (the distribution spec's names):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component ( "/" path-component )*      (<= 255 characters)
//   domain    := domain-component ( "." domain-component )* [ ":" port ]
//   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   path-component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
// A first component is a domain when it has a dot or a colon or is "localhost"; a docker://
// reference without one names Docker Hub (docker.io, "library/" for one-component names), as
// skopeo does. A tag together with a digest is refused (skopeo refuses it too).
#include "layers/registry/image_reference.h"

#include <sys/stat.h>

#include <cctype>

#include "layers/base/digest.h"
#include "layers/base/error.h"

namespace imgmount {
namespace {

constexpr std::string_view kTransport = "docker://";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool IsWord(char c) {
  return IsAlnum(c) || c == '_';
}

bool ValidPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < s.size() && !IsLowerAlnum(s[i])) ++i;
    std::string_view sep = s.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
  return true;
}

bool ValidDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool ValidDomain(std::string_view s) {
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    s = s.substr(0, colon);
  }
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!ValidDomainComponent(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool ValidTag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength || !IsWord(s.front())) return false;
  for (char c : s) {
    if (!IsWord(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool LooksLikeDomain(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

[[noreturn]] void Refuse(const std::string& given, const std::string& why) {
  throw Error(ErrorKind::kUsage, EINVAL, given + ": not a valid image reference: " + why);
}

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string ImageReference::Canonical() const {
  return registry + "/" + repository + (digest.empty() ? ":" + tag : "@" + digest);
}

bool IsLoopbackHost(const std::string& host) {
  std::string name = host.substr(0, host.rfind(':'));
  if (host.find(':') == std::string::npos) name = host;
  if (name == "localhost") return true;
  if (!name.starts_with("127.")) return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

bool ImageReference::PlainHttp() const {
  return IsLoopbackHost(registry);
}

std::string ImageReference::ApiHost() const {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

ImageReference ParseImageReference(const std::string& text) {
  ImageReference ref;
  ref.given = text;
  std::string rest = text.starts_with(kTransport) ? text.substr(kTransport.size()) : text;
  if (rest.empty()) Refuse(text, "no repository");
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!IsValidDigest(ref.digest)) {
      Refuse(text, "digest \"" + ref.digest +
                       "\" is not sha256:<64 hex digits> or sha512:<128 hex digits>");
    }
  }
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!ref.digest.empty()) Refuse(text, "give a tag or a digest, not both");
    if (!ValidTag(ref.tag)) {
      Refuse(text, "tag \"" + ref.tag +
                       "\" (a tag is 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)");
    }
  }
  if (ref.digest.empty() && ref.tag.empty()) ref.tag = "latest";
  size_t first_slash = rest.find('/');
  std::string first = rest.substr(0, first_slash);
  if (first_slash != std::string::npos && LooksLikeDomain(first)) {
    ref.registry = first;
    ref.repository = rest.substr(first_slash + 1);
    if (!ValidDomain(ref.registry)) Refuse(text, "registry host \"" + ref.registry + "\"");
  } else {
    ref.registry = "docker.io";
    ref.repository = first_slash == std::string::npos ? "library/" + rest : rest;
  }
  if (rest.size() > kMaxNameLength) Refuse(text, "the name is longer than 255 characters");
  size_t start = 0;
  while (true) {
    size_t next = ref.repository.find('/', start);
    std::string component = ref.repository.substr(start, next - start);
    if (!ValidPathComponent(component)) {
      Refuse(text, "repository component \"" + component +
                       "\" (lower-case letters and digits, separated by one . or _, two _ "
                       "or dashes)");
    }
    if (next == std::string::npos) break;
    start = next + 1;
  }
  return ref;
}

std::optional<ImageReference> RegistryReferenceOf(const std::string& argument) {
  if (argument.starts_with(kTransport)) return ParseImageReference(argument);
  size_t slash = argument.find('/');
  if (slash == std::string::npos || !LooksLikeDomain(argument.substr(0, slash))) {
    return std::nullopt;
  }
  // A local file wins, whole or as FILE:TAG (an archive and the image in it).
  if (PathExists(argument)) return std::nullopt;
  for (size_t colon = argument.find(':'); colon != std::string::npos;
       colon = argument.find(':', colon + 1)) {
    if (colon > 0 && PathExists(argument.substr(0, colon))) return std::nullopt;
  }
  // A bare argument off the grammar ("./x.tar") is a local path that does not exist, and is
  // reported as such by whoever opens it.
  try {
    return ParseImageReference(argument);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace imgmount
