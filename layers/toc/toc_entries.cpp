#include "layers/toc/toc_entries.h"

// clang-format off
#include "layers/base/rapidjson.h"
#include <rapidjson/error/en.h>
// clang-format on

#include "layers/base/error.h"
#include "layers/registry/auth_file.h"

namespace imgmount {
namespace {

// Days from 1970-01-01 to the given proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// `count` digits at text[*at] as a number; false if not digits.
bool Digits(std::string_view text, size_t* at, size_t count, unsigned* out) {
  if (*at + count > text.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[*at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *at += count;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* at, char c) {
  if (*at >= text.size() || (text[*at] != c && !(c == 'T' && text[*at] == 't'))) return false;
  ++*at;
  return true;
}

class EntryReader {
 public:
  EntryReader(const rapidjson::Value& object, const std::string& where)
      : object_(object), where_(where) {}

  std::string String(const char* key) const {
    const rapidjson::Value* v = Find(key);
    if (v == nullptr) return "";
    if (!v->IsString()) Fail(std::string("\"") + key + "\" is not a string");
    return std::string(v->GetString(), v->GetStringLength());
  }
  uint64_t Uint(const char* key) const {
    const rapidjson::Value* v = Find(key);
    if (v == nullptr) return 0;
    if (!v->IsUint64() || v->GetUint64() > static_cast<uint64_t>(INT64_MAX)) {
      Fail(std::string("\"") + key + "\" is not a non-negative integer");
    }
    return v->GetUint64();
  }
  const rapidjson::Value* Find(const char* key) const {
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }
  [[noreturn]] void Fail(const std::string& what) const { ThrowBadImage(where_ + ": " + what); }

 private:
  const rapidjson::Value& object_;
  const std::string& where_;
};

TocEntry ReadEntry(const rapidjson::Value& value, const std::string& where) {
  if (!value.IsObject()) ThrowBadImage(where + ": not an object");
  EntryReader r(value, where);
  TocEntry e;
  e.type = r.String("type");
  e.name = r.String("name");
  e.link_name = r.String("linkName");
  e.mode = r.Uint("mode");
  e.uid = r.Uint("uid");
  e.gid = r.Uint("gid");
  e.size = r.Uint("size");
  std::string modtime = r.String("modtime");
  if (!modtime.empty() && !ParseRfc3339(modtime, &e.mtime_sec, &e.mtime_nsec)) {
    r.Fail("\"modtime\" is not an RFC 3339 time: \"" + modtime.substr(0, 60) + "\"");
  }
  e.dev_major = r.Uint("devMajor");
  e.dev_minor = r.Uint("devMinor");
  if (const rapidjson::Value* xattrs = r.Find("xattrs")) {
    if (!xattrs->IsObject()) r.Fail("\"xattrs\" is not an object");
    for (const auto& member : xattrs->GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      if (!member.value.IsString()) r.Fail("xattr \"" + key.substr(0, 60) + "\" is not a string");
      auto decoded =
          Base64Decode(std::string(member.value.GetString(), member.value.GetStringLength()));
      if (!decoded) r.Fail("xattr \"" + key.substr(0, 60) + "\" is not base64");
      e.xattrs.emplace_back(std::move(key), std::move(*decoded));
    }
  }
  e.digest = r.String("digest");
  e.offset = r.Uint("offset");
  e.end_offset = r.Uint("endOffset");
  e.chunk_size = r.Uint("chunkSize");
  e.chunk_offset = r.Uint("chunkOffset");
  e.chunk_digest = r.String("chunkDigest");
  e.chunk_type = r.String("chunkType");
  e.inner_offset = r.Uint("innerOffset");
  return e;
}

}  // namespace

bool ParseRfc3339(std::string_view text, int64_t* sec, uint32_t* nsec) {
  size_t at = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &at, 4, &year) || !Expect(text, &at, '-') || !Digits(text, &at, 2, &month) ||
      !Expect(text, &at, '-') || !Digits(text, &at, 2, &day) || !Expect(text, &at, 'T') ||
      !Digits(text, &at, 2, &hour) || !Expect(text, &at, ':') || !Digits(text, &at, 2, &minute) ||
      !Expect(text, &at, ':') || !Digits(text, &at, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  uint32_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    size_t digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 9) fraction = fraction * 10 + static_cast<uint32_t>(text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return false;
    for (size_t i = digits; i < 9; ++i) fraction *= 10;
  }
  int64_t offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int sign = text[at] == '-' ? -1 : 1;
    ++at;
    unsigned oh = 0, om = 0;
    if (!Digits(text, &at, 2, &oh) || !Expect(text, &at, ':') || !Digits(text, &at, 2, &om) ||
        oh > 23 || om > 59) {
      return false;
    }
    offset = sign * static_cast<int64_t>(oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (at != text.size()) return false;
  *sec = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  *nsec = fraction;
  return true;
}

std::vector<TocEntry> ParseTocEntries(std::string_view json, const std::string& name) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    ThrowBadImage(name + ": invalid JSON at byte " + std::to_string(doc.GetErrorOffset()) + ": " +
                  rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) ThrowBadImage(name + ": not a JSON object");
  const rapidjson::Value& root = doc;  // const iterators: clang's C++20 mode refuses the others
  auto version = root.FindMember("version");
  if (version == root.MemberEnd() || !version->value.IsInt() || version->value.GetInt() != 1) {
    ThrowBadImage(name + ": \"version\" is not 1");
  }
  auto entries = root.FindMember("entries");
  if (entries == root.MemberEnd() || !entries->value.IsArray()) {
    ThrowBadImage(name + ": \"entries\" is not an array");
  }
  std::vector<TocEntry> out;
  out.reserve(entries->value.Size());
  for (const auto& value : entries->value.GetArray()) {
    out.push_back(ReadEntry(value, name + ": entry " + std::to_string(out.size() + 1)));
  }
  return out;
}

}  // namespace imgmount
