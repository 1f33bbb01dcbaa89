#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/image/json.h"

namespace imgmount {

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
  config.created = doc.OptString(root, "created").value_or("");
  config.author = doc.OptString(root, "author").value_or("");
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
