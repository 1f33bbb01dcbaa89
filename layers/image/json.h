// Safe JSON for documents from images: size and depth capped, duplicate keys refused, and typed
// accessors that throw a kBadImage Error naming the document instead of asserting.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "layers/base/rapidjson.h"

namespace imgmount {

/// Largest JSON document read from an image (manifests, configs, indexes).
inline constexpr uint64_t kMaxJsonBytes = 16u << 20;

/// Deepest nesting of arrays and objects accepted.
inline constexpr int kMaxJsonDepth = 64;

/// A parsed JSON document and the name it goes by in errors (e.g. "x.tar:manifest.json").
class JsonDoc {
 public:
  /// Parses `text`; throws kBadImage naming `name` on bad syntax, depth, size or duplicate keys.
  JsonDoc(std::string_view text, std::string name);

  /// The root value.
  const rapidjson::Value& root() const { return doc_; }
  /// The document's name for messages.
  const std::string& name() const { return name_; }

  /// Throws kBadImage "NAME: WHAT".
  [[noreturn]] void Fail(const std::string& what) const;

  /// The root, which must be an object.
  const rapidjson::Value& RootObject() const;
  /// obj[key] if present (and not null), else nullptr; obj must be an object.
  const rapidjson::Value* Find(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as a string; throws if missing or of another type.
  std::string String(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as a string if present; throws if of another type.
  std::optional<std::string> OptString(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as an object if present; throws if of another type.
  const rapidjson::Value* OptObject(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as an array if present; throws if of another type.
  const rapidjson::Value* OptArray(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as a non-negative integer if present; throws if of another type.
  std::optional<uint64_t> OptUint(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as a bool if present; throws if of another type.
  std::optional<bool> OptBool(const rapidjson::Value& obj, const char* key) const;
  /// obj[key] as an array of strings (missing = empty); throws on other types.
  std::vector<std::string> StringArray(const rapidjson::Value& obj, const char* key) const;

 private:
  rapidjson::Document doc_;
  std::string name_;
};

}  // namespace imgmount
