// Platform normalisation and matching, following containerd's platforms package (Normalize,
// Parse, the strict matcher): both sides are brought to one canonical form and compared field by
// field, so every spelling of a platform (aarch64, arm64, arm64/v8, ARM64) selects the same image.
//
// The canonical form keeps the variant where containerd treats a missing one as a default
// (arm64 = v8, arm = v7), so that errors can print one unambiguous name per platform; amd64's
// baseline v1 and 386's variants are dropped, as containerd drops them.
#include "layers/image/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "layers/base/error.h"

namespace imgmount {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool OneOf(const std::string& value, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return value == n; });
}

// The operating systems Go knows (go/build's syslist), after normalisation.
bool IsKnownOs(const std::string& os) {
  return OneOf(os,
               {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
                "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos"});
}

// The architectures Go knows, after normalisation.
bool IsKnownArchitecture(const std::string& arch) {
  return OneOf(arch, {"386",     "amd64",    "amd64p32",  "arm",         "armbe",   "arm64",
                      "arm64be", "ppc64",    "ppc64le",   "loong64",     "mips",    "mipsle",
                      "mips64",  "mips64le", "mips64p32", "mips64p32le", "ppc",     "riscv",
                      "riscv64", "s390",     "s390x",     "sparc",       "sparc64", "wasm"});
}

std::string NormalOs(const std::string& os) {
  std::string out = Lower(os);
  return out == "macos" ? "darwin" : out;
}

// Architecture and variant in canonical form.
void NormalizeArchitecture(std::string& arch, std::string& variant) {
  arch = Lower(arch);
  variant = Lower(variant);
  if (arch == "i386" || arch == "386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant.empty() || variant == "8") variant = "v8";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty()) variant = "v7";
    if (OneOf(variant, {"5", "6", "7", "8"})) variant = "v" + variant;
  }
}

[[noreturn]] void ThrowInvalid(const std::string& text, const std::string& why) {
  throw Error(ErrorKind::kUsage, EINVAL,
              "invalid platform \"" + text + "\": " + why +
                  " (want os/arch[/variant], e.g. linux/arm64/v8, or an architecture such as "
                  "arm64, or an OS such as linux)");
}

// A component as containerd accepts it: letters, digits, '_', '.', '-'.
bool ValidComponent(const std::string& part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace

Platform Platform::Normalized() const {
  Platform p{NormalOs(os), architecture, variant};
  NormalizeArchitecture(p.architecture, p.variant);
  if (p.os.empty() && !p.architecture.empty()) p.os = "linux";
  return p;
}

std::string Platform::ToString() const {
  Platform p = Normalized();
  if (p.os.empty() && p.architecture.empty()) return "unknown";
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

Platform Platform::Parse(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() > 3) ThrowInvalid(text, "too many parts");
  for (const std::string& part : parts) {
    if (!ValidComponent(part)) {
      ThrowInvalid(text, part.empty() ? "an empty part" : "\"" + part + "\" is not a valid part");
    }
  }
  if (parts.size() == 1) {
    std::string os = NormalOs(parts[0]);
    if (IsKnownOs(os)) return Platform{os, Host().architecture, Host().variant};
    Platform p = Platform{"linux", parts[0], ""}.Normalized();
    if (!IsKnownArchitecture(p.architecture)) {
      ThrowInvalid(text, "not a known operating system or architecture");
    }
    return p;
  }
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""}.Normalized();
}

Platform Platform::Host() {
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  Platform p{"linux", machine, ""};
  if (machine == "i686" || machine == "i586") p.architecture = "386";
  if (machine.starts_with("armv") && machine.size() >= 5 && std::isdigit(machine[4])) {
    p = {"linux", "arm", std::string("v") + machine[4]};
  }
  return p.Normalized();
}

bool Platform::Matches(const Platform& other) const {
  Platform mine = Normalized();
  Platform theirs = other.Normalized();
  return mine.os == theirs.os && mine.architecture == theirs.architecture &&
         mine.variant == theirs.variant;
}

}  // namespace imgmount
