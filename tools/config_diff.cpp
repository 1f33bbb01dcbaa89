// Config fields are compared as parsed (ImageConfig), and each differing field is shown whole on
// both sides, as the JSON value the config holds, so that a value with spaces, quotes or newlines
// reads unambiguously in the text report too. The members of a JSON object (Labels, ExposedPorts,
// Volumes) are compared and shown in name order, since their order in the config means nothing.
#include "tools/config_diff.h"

#include <algorithm>

namespace imgmount {
namespace {

std::string Render(const std::string& value) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteJsonString(w, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Render(const std::vector<std::string>& values) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const auto& v : values) WriteJsonString(w, v);
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Render(const std::vector<std::pair<std::string, std::string>>& pairs) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  for (const auto& [key, value] : pairs) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    WriteJsonString(w, value);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The members of a JSON object in the config (Labels, ExposedPorts, Volumes) have no order.
template <class T>
std::vector<T> Sorted(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace

std::vector<ConfigChange> DiffConfigs(const ImageConfig& a, const ImageConfig& b) {
  std::vector<ConfigChange> out;
  auto field = [&](const char* name, const auto& x, const auto& y) {
    if (x != y) out.push_back({name, Render(x), Render(y)});
  };
  field("Env", a.env, b.env);
  field("Cmd", a.cmd, b.cmd);
  field("Entrypoint", a.entrypoint, b.entrypoint);
  field("WorkingDir", a.working_dir, b.working_dir);
  field("User", a.user, b.user);
  field("ExposedPorts", Sorted(a.exposed_ports), Sorted(b.exposed_ports));
  field("Volumes", Sorted(a.volumes), Sorted(b.volumes));
  field("Labels", Sorted(a.labels), Sorted(b.labels));
  field("Platform", a.platform.ToString(), b.platform.ToString());
  return out;
}

std::string ConfigChangeLine(const ConfigChange& change) {
  return "Config " + change.field + " differs: " + change.old_json + " -> " + change.new_json;
}

void WriteConfigChanges(JsonWriter& w, const std::vector<ConfigChange>& changes) {
  w.Key("config");
  w.StartArray();
  for (const ConfigChange& change : changes) {
    w.StartObject();
    WriteString(w, "field", change.field);
    w.Key("old");
    w.RawValue(change.old_json.data(), change.old_json.size(), rapidjson::kObjectType);
    w.Key("new");
    w.RawValue(change.new_json.data(), change.new_json.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace imgmount
