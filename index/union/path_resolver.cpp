#include "index/union/path_resolver.h"

#include <deque>
#include <string>

#include "layers/base/error.h"
#include "layers/base/member_path.h"

namespace imgmount {
namespace {

constexpr int kMaxSymlinks = 40;

void PushComponents(std::deque<std::string>& queue, std::string_view path, bool front) {
  auto parts = SplitPath(path);
  queue.insert(front ? queue.begin() : queue.end(), parts.begin(), parts.end());
}

}  // namespace

uint32_t ResolveFollowing(const UnionTree& tree, std::string_view path, bool follow_last) {
  std::deque<std::string> pending;
  PushComponents(pending, path, false);
  uint32_t current = UnionTree::kRoot;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    const UnionInode& dir = tree.inode(current);
    if (dir.type != MemberType::kDirectory) {
      throw Error(ErrorKind::kNotFound, ENOTDIR, std::string(path) + ": not a directory");
    }
    if (part == "..") {
      current = dir.parent;
      continue;
    }
    auto next = tree.Lookup(current, part);
    if (!next) {
      throw Error(ErrorKind::kNotFound, ENOENT, std::string(path) + ": no such file or directory");
    }
    const UnionInode& node = tree.inode(*next);
    bool last = pending.empty();
    if (node.type == MemberType::kSymlink && (!last || follow_last)) {
      if (++links > kMaxSymlinks) {
        throw Error(ErrorKind::kNotFound, ELOOP,
                    std::string(path) + ": too many levels of symbolic links");
      }
      std::optional<TarMember> m = tree.member(*next);
      std::string_view target = m ? m->link_target : std::string_view();
      if (!target.empty() && target.front() == '/') current = UnionTree::kRoot;
      PushComponents(pending, target, true);
      continue;
    }
    current = *next;
  }
  return current;
}

}  // namespace imgmount
