// The marker grammar of the union: what a member is, judged by the names in its path alone.
//
//   exactly ".wh..wh..opq"                         opaque marker for its parent directory
//   ".wh..wh.plnk", ".wh..wh.aufs", ".wh..wh.orph"  AUFS metadata: hidden, silently, with all below
//   exactly ".wh."                                 invalid: warned about and ignored
//   any other ".wh.NAME"                           whiteout of NAME in the parent directory
//   a ".wh." name above the last component          hidden (its parent can never be served)
//   a component the kernel would not serve         invalid: empty, ".", "..", with a NUL byte,
//                                                   or longer than 255 bytes (NAME_MAX)
// Everything else is an ordinary entry; "" is the root.
#include <algorithm>
#include <array>

#include "index/union/union_builder.h"
#include "layers/base/member_path.h"

namespace imgmount {
namespace {

constexpr std::string_view kMarkerPrefix = ".wh.";
constexpr std::string_view kOpaqueName = ".wh..wh..opq";
constexpr std::string_view kAufsLinkDir = ".wh..wh.plnk";
constexpr std::array<std::string_view, 3> kAufsNames = {kAufsLinkDir, ".wh..wh.aufs",
                                                        ".wh..wh.orph"};
// NAME_MAX: the kernel fails a whole readdir with EIO on names over 1024 bytes, and refuses to
// look up names over 255 bytes, so such an entry could be listed but never opened.
constexpr size_t kMaxNameBytes = 255;

bool StartsWithMarker(std::string_view name) {
  return name.starts_with(kMarkerPrefix);
}

bool IsAufsName(std::string_view name) {
  return std::find(kAufsNames.begin(), kAufsNames.end(), name) != kAufsNames.end();
}

}  // namespace

const char* BadEntryName(std::string_view name) {
  if (name.empty()) return "empty path component";
  if (name == "." || name == "..") return "'.' or '..' path component";
  if (name.size() > kMaxNameBytes) return "name longer than 255 bytes";
  if (name.find('\0') != std::string_view::npos) return "name contains a NUL byte";
  return nullptr;
}

void SplitPath(std::string_view path, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string WhiteoutTarget(std::string_view marker_path) {
  std::string_view parent = ParentPath(marker_path);
  std::string_view name = BaseName(marker_path).substr(kMarkerPrefix.size());
  if (parent.empty()) return std::string(name);
  std::string target(parent);
  target += '/';
  target += name;
  return target;
}

PathKind ClassifyPath(std::string_view path, std::string& reason) {
  reason.clear();
  if (path.empty()) return PathKind::kEntry;
  // Split by hand rather than with SplitPath: an empty component is an error here.
  size_t start = 0;
  bool hidden = false;
  bool aufs = false;
  std::string_view last;
  while (true) {
    size_t slash = path.find('/', start);
    bool is_last = slash == std::string_view::npos;
    std::string_view name = path.substr(start, is_last ? std::string_view::npos : slash - start);
    if (const char* bad = BadEntryName(name)) {
      reason = bad;
      return PathKind::kInvalid;
    }
    if (is_last) {
      last = name;
      break;
    }
    if (StartsWithMarker(name) && !hidden) {
      hidden = true;
      aufs = IsAufsName(name);
    }
    start = slash + 1;
  }
  if (hidden) {
    if (!aufs) reason = "below a whiteout name, never served";
    return PathKind::kHidden;
  }
  if (!StartsWithMarker(last)) return PathKind::kEntry;
  if (last == kOpaqueName) return PathKind::kOpaque;
  if (IsAufsName(last)) return PathKind::kHidden;
  if (last == kMarkerPrefix) {
    reason = "bare whiteout marker '.wh.' is invalid";
    return PathKind::kInvalid;
  }
  return PathKind::kWhiteout;
}

bool HasMarkerComponent(std::string_view path) {
  size_t start = 0;
  while (start < path.size()) {
    if (path.substr(start).starts_with(kMarkerPrefix)) return true;
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

bool IsAufsLinkPath(std::string_view path) {
  return path.size() > kAufsLinkDir.size() && path.starts_with(kAufsLinkDir) &&
         path[kAufsLinkDir.size()] == '/';
}

}  // namespace imgmount
