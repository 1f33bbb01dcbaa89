// The check sorts the members by path in component order ('/' below every other byte, so that a
// path's descendants follow it contiguously: "a", "a/b", "a-b" rather than "a", "a-b", "a/b"),
// equal paths in tar order. Walking that order with a stack of the ancestors that have a file
// member, each member is compared only with those ancestors: the latest ancestor member before
// it in tar order (a binary search among that path's members) must not be a file. Files rarely
// have anything below them, so the stack is almost always empty and the cost is the sort.
#include "index/layer/layer_nesting.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "layers/base/error.h"
#include "layers/base/member_path.h"

namespace imgmount {
namespace {

// Byte order with '/' first: member paths hold no NUL, so '/' can take its place. Only the
// first differing byte decides, so the common prefix is skipped with std::mismatch.
bool ComponentLess(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  auto [pa, pb] = std::mismatch(a.data(), a.data() + n, b.data());
  if (pa == a.data() + n) return a.size() < b.size();
  auto x = static_cast<unsigned char>(*pa == '/' ? '\0' : *pa);
  auto y = static_cast<unsigned char>(*pb == '/' ? '\0' : *pb);
  return x < y;
}

bool IsBelow(std::string_view path, std::string_view ancestor) {
  return path.size() > ancestor.size() && path[ancestor.size()] == '/' &&
         path.substr(0, ancestor.size()) == ancestor;
}

// Whether a member makes a path that cannot have anything below it. Whiteout markers (".wh.*")
// never become files: the runtimes turn them into deletions.
bool IsFileLike(const LayerIndex& layer, uint32_t i) {
  MemberType type = layer.type(i);
  return type != MemberType::kDirectory && type != MemberType::kSymlink &&
         !BaseName(layer.path(i)).starts_with(".wh.");
}

// The members at one path: a range of `order`, in tar order.
struct Group {
  size_t begin = 0;
  size_t end = 0;
};

}  // namespace

void CheckNothingBelowFiles(const LayerIndex& layer) {
  std::vector<std::string_view> paths(layer.size());
  for (uint32_t i = 0; i < layer.size(); ++i) paths[i] = layer.path(i);
  std::vector<uint32_t> order(layer.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (paths[a] != paths[b]) return ComponentLess(paths[a], paths[b]);
    return a < b;
  });
  std::vector<Group> stack;  // ancestors of the current path that have a file member
  size_t begin = 0;
  while (begin < order.size()) {
    std::string_view path = layer.path(order[begin]);
    size_t end = begin + 1;
    while (end < order.size() && layer.path(order[end]) == path) ++end;
    while (!stack.empty() && !IsBelow(path, layer.path(order[stack.back().begin]))) {
      stack.pop_back();
    }
    for (const Group& ancestor : stack) {
      auto first = order.begin() + static_cast<ptrdiff_t>(ancestor.begin);
      auto last = order.begin() + static_cast<ptrdiff_t>(ancestor.end);
      for (size_t k = begin; k < end; ++k) {
        // The latest member at the ancestor's path before this one in tar order.
        auto after = std::lower_bound(first, last, order[k]);
        if (after == first) continue;
        uint32_t before = *(after - 1);
        if (IsFileLike(layer, before)) {
          ThrowBadImage(layer.name() + ": member \"" + PrintableName(layer.path(order[k])) +
                        "\" lies below \"" + PrintableName(layer.path(before)) +
                        "\", which an earlier member of the layer made a file (not a "
                        "directory); the runtimes cannot extract this layer");
        }
      }
    }
    bool has_file = !path.empty() && std::any_of(order.begin() + static_cast<ptrdiff_t>(begin),
                                                 order.begin() + static_cast<ptrdiff_t>(end),
                                                 [&](uint32_t i) { return IsFileLike(layer, i); });
    if (has_file) stack.push_back({begin, end});
    begin = end;
  }
}

}  // namespace imgmount
