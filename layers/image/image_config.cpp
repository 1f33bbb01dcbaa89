#include <sys/utsname.h>

#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/image/json.h"

namespace imgmount {

std::string Platform::ToString() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Platform Platform::Parse(const std::string& text) {
  Platform p;
  size_t first = text.find('/');
  if (first == std::string::npos || first == 0) {
    throw Error(ErrorKind::kUsage, EINVAL,
                "invalid platform \"" + text + "\" (want os/arch[/variant])");
  }
  p.os = text.substr(0, first);
  size_t second = text.find('/', first + 1);
  p.architecture =
      text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (second != std::string::npos) p.variant = text.substr(second + 1);
  if (p.architecture.empty() || p.variant.find('/') != std::string::npos ||
      (second != std::string::npos && p.variant.empty())) {
    throw Error(ErrorKind::kUsage, EINVAL,
                "invalid platform \"" + text + "\" (want os/arch[/variant])");
  }
  return p;
}

Platform Platform::Host() {
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  Platform p{"linux", machine, ""};
  if (machine == "x86_64") p.architecture = "amd64";
  if (machine == "i686" || machine == "i386") p.architecture = "386";
  if (machine == "aarch64") p = {"linux", "arm64", "v8"};
  if (machine == "armv7l") p = {"linux", "arm", "v7"};
  if (machine == "armv6l") p = {"linux", "arm", "v6"};
  if (machine == "ppc64le" || machine == "s390x" || machine == "riscv64") p.architecture = machine;
  return p;
}

bool Platform::Matches(const Platform& other) const {
  if (os != other.os || architecture != other.architecture) return false;
  if (variant.empty()) return true;
  std::string theirs = other.variant;
  if (theirs.empty() && architecture == "arm64") theirs = "v8";
  return variant == theirs;
}

namespace {

// The keys of an object such as ExposedPorts or Volumes, in document order.
std::vector<std::string> Keys(const JsonDoc& doc, const rapidjson::Value& obj, const char* key) {
  std::vector<std::string> out;
  const rapidjson::Value* value = doc.OptObject(obj, key);
  if (value == nullptr) return out;
  for (const auto& member : value->GetObject()) {
    out.emplace_back(member.name.GetString(), member.name.GetStringLength());
  }
  return out;
}

}  // namespace

ImageConfig ParseImageConfig(const std::string& json, const std::string& name) {
  JsonDoc doc(json, name);
  const auto& root = doc.RootObject();
  ImageConfig config;
  config.platform.os = doc.OptString(root, "os").value_or("");
  config.platform.architecture = doc.OptString(root, "architecture").value_or("");
  config.platform.variant = doc.OptString(root, "variant").value_or("");
  if (const auto* c = doc.OptObject(root, "config")) {
    config.env = doc.StringArray(*c, "Env");
    config.cmd = doc.StringArray(*c, "Cmd");
    config.entrypoint = doc.StringArray(*c, "Entrypoint");
    config.working_dir = doc.OptString(*c, "WorkingDir").value_or("");
    config.user = doc.OptString(*c, "User").value_or("");
    config.exposed_ports = Keys(doc, *c, "ExposedPorts");
    config.volumes = Keys(doc, *c, "Volumes");
    if (const auto* labels = doc.OptObject(*c, "Labels")) {
      for (const auto& member : labels->GetObject()) {
        if (!member.value.IsString()) doc.Fail("a label value is not a string");
        config.labels.emplace_back(
            std::string(member.name.GetString(), member.name.GetStringLength()),
            std::string(member.value.GetString(), member.value.GetStringLength()));
      }
    }
  }
  if (const auto* rootfs = doc.OptObject(root, "rootfs")) {
    config.diff_ids = doc.StringArray(*rootfs, "diff_ids");
  }
  if (const auto* history = doc.OptArray(root, "history")) {
    for (const auto& item : history->GetArray()) {
      HistoryEntry entry;
      entry.created = doc.OptString(item, "created").value_or("");
      entry.created_by = doc.OptString(item, "created_by").value_or("");
      entry.comment = doc.OptString(item, "comment").value_or("");
      entry.empty_layer = doc.OptBool(item, "empty_layer").value_or(false);
      config.history.push_back(std::move(entry));
    }
  }
  return config;
}

}  // namespace imgmount
