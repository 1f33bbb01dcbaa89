#include "layers/image/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <set>

#include "layers/base/error.h"

namespace imgmount {
namespace {

// A SAX handler that only checks structure: nesting depth and duplicate keys per object.
class StructureChecker : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, StructureChecker> {
 public:
  bool Default() { return true; }
  bool StartObject() {
    open_.emplace_back();
    is_object_.push_back(true);
    return Deeper();
  }
  bool EndObject(rapidjson::SizeType) {
    open_.pop_back();
    is_object_.pop_back();
    return true;
  }
  bool StartArray() {
    is_object_.push_back(false);
    return Deeper();
  }
  bool EndArray(rapidjson::SizeType) {
    is_object_.pop_back();
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    if (!open_.back().emplace(str, length).second) {
      problem_ = "duplicate key \"" + std::string(str, length) + "\"";
      return false;
    }
    return true;
  }
  const std::string& problem() const { return problem_; }

 private:
  bool Deeper() {
    if (static_cast<int>(is_object_.size()) > kMaxJsonDepth) {
      problem_ = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    return true;
  }
  std::vector<std::set<std::string>> open_;
  std::vector<bool> is_object_;
  std::string problem_;
};

}  // namespace

JsonDoc::JsonDoc(std::string_view text, std::string name) : name_(std::move(name)) {
  if (text.size() > kMaxJsonBytes) {
    Fail("JSON document of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
         std::to_string(kMaxJsonBytes));
  }
  std::string copy(text);
  {
    StructureChecker checker;
    rapidjson::Reader reader;
    rapidjson::StringStream stream(copy.c_str());
    auto result = reader.Parse<rapidjson::kParseIterativeFlag>(stream, checker);
    if (result.IsError()) {
      if (!checker.problem().empty()) Fail("invalid JSON: " + checker.problem());
      Fail(std::string("invalid JSON at byte ") + std::to_string(result.Offset()) + ": " +
           rapidjson::GetParseError_En(result.Code()));
    }
  }
  doc_.Parse<rapidjson::kParseIterativeFlag>(copy.c_str(), copy.size());
  if (doc_.HasParseError()) {
    Fail(std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc_.GetParseError()));
  }
}

void JsonDoc::Fail(const std::string& what) const {
  ThrowBadImage(name_ + ": " + what);
}

const rapidjson::Value& JsonDoc::RootObject() const {
  if (!doc_.IsObject()) Fail("expected a JSON object at the top level");
  return doc_;
}

const rapidjson::Value* JsonDoc::Find(const rapidjson::Value& obj, const char* key) const {
  if (!obj.IsObject()) Fail(std::string("expected an object holding \"") + key + "\"");
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string JsonDoc::String(const rapidjson::Value& obj, const char* key) const {
  auto value = OptString(obj, key);
  if (!value) Fail(std::string("missing \"") + key + "\"");
  return *value;
}

std::optional<std::string> JsonDoc::OptString(const rapidjson::Value& obj, const char* key) const {
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsString()) Fail(std::string("\"") + key + "\" is not a string");
  return std::string(v->GetString(), v->GetStringLength());
}

const rapidjson::Value* JsonDoc::OptObject(const rapidjson::Value& obj, const char* key) const {
  const rapidjson::Value* v = Find(obj, key);
  if (v != nullptr && !v->IsObject()) Fail(std::string("\"") + key + "\" is not an object");
  return v;
}

const rapidjson::Value* JsonDoc::OptArray(const rapidjson::Value& obj, const char* key) const {
  const rapidjson::Value* v = Find(obj, key);
  if (v != nullptr && !v->IsArray()) Fail(std::string("\"") + key + "\" is not an array");
  return v;
}

std::optional<uint64_t> JsonDoc::OptUint(const rapidjson::Value& obj, const char* key) const {
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsUint64()) Fail(std::string("\"") + key + "\" is not a non-negative integer");
  return v->GetUint64();
}

std::optional<bool> JsonDoc::OptBool(const rapidjson::Value& obj, const char* key) const {
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsBool()) Fail(std::string("\"") + key + "\" is not a boolean");
  return v->GetBool();
}

std::vector<std::string> JsonDoc::StringArray(const rapidjson::Value& obj, const char* key) const {
  std::vector<std::string> out;
  const rapidjson::Value* array = OptArray(obj, key);
  if (array == nullptr) return out;
  for (const auto& item : array->GetArray()) {
    if (!item.IsString()) Fail(std::string("\"") + key + "\" holds a value that is not a string");
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

}  // namespace imgmount
