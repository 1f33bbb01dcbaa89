#include "layers/base/member_path.h"

#include <vector>

namespace imgmount {
namespace {}  // namespace

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = slash + 1;
  }
  return out;
}

namespace {

std::string Join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace

std::optional<std::string> NormalizeMemberPath(std::string_view raw) {
  if (raw.find('\0') != std::string_view::npos) return std::nullopt;
  auto parts = SplitPath(raw);
  for (auto part : parts) {
    if (part == "..") return std::nullopt;
  }
  return Join(parts);
}

bool IsNormalMemberPath(std::string_view path) {
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos) {
      return false;
    }
    if (slash == path.size() - 1) return false;  // a trailing '/'
    start = slash + 1;
  }
  return true;
}

std::optional<std::string> CleanMemberPath(std::string_view raw) {
  if (raw.find('\0') != std::string_view::npos) return std::nullopt;
  while (!raw.empty() && raw.front() == '/') raw.remove_prefix(1);
  return JoinInside("", raw);
}

std::optional<std::string> JoinInside(std::string_view dir, std::string_view relative) {
  if (!relative.empty() && relative.front() == '/') return std::nullopt;
  if (relative.find('\0') != std::string_view::npos) return std::nullopt;
  auto parts = SplitPath(dir);
  for (auto part : SplitPath(relative)) {
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  return Join(parts);
}

std::string_view ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string PrintableName(std::string_view name) {
  constexpr size_t kLimit = 200;
  constexpr size_t kHead = 120;
  constexpr size_t kTail = 40;
  auto escape = [](std::string_view part, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : part) {
      auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f || c == '\\') {
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      } else {
        out += c;
      }
    }
  };
  std::string out;
  if (name.size() <= kLimit) {
    escape(name, out);
    return out;
  }
  escape(name.substr(0, kHead), out);
  out += "...(" + std::to_string(name.size()) + " bytes)...";
  escape(name.substr(name.size() - kTail), out);
  return out;
}

}  // namespace imgmount
