// JSON output of the reporting commands (inspect, diff, ls, which, verify, cache ls): RapidJSON
// writers, which do all the escaping, and helpers for the key/value pairs they all write.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgmount {

/// A compact writer into a string buffer (inspect uses rapidjson::PrettyWriter instead).
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes a string value (any bytes; RapidJSON escapes them).
template <class Writer>
void WriteJsonString(Writer& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

/// Writes `"key": "value"`.
template <class Writer>
void WriteString(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  WriteJsonString(w, value);
}

/// Writes `"key": "value"`, or `"key": null` if `value` is empty.
template <class Writer>
void WriteStringOrNull(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  if (value.empty()) {
    w.Null();
  } else {
    WriteJsonString(w, value);
  }
}

/// Writes `"key": ["value", ...]`.
template <class Writer>
void WriteStrings(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& v : values) WriteJsonString(w, v);
  w.EndArray();
}

/// Writes `"key": number`.
template <class Writer>
void WriteUint(Writer& w, const char* key, uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

/// Writes `"key": number`, or `"key": null` if `value` is empty.
template <class Writer>
void WriteUintOrNull(Writer& w, const char* key, std::optional<uint64_t> value) {
  w.Key(key);
  if (value) {
    w.Uint64(*value);
  } else {
    w.Null();
  }
}

/// The buffer's document as one line of output.
inline std::string JsonLine(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace imgmount
