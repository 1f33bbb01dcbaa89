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

std::string Absolute(const std::vector<std::string>& components) {
  std::string out;
  for (const std::string& c : components) out += "/" + c;
  return out.empty() ? "/" : out;
}

}  // namespace

ResolvedPath ResolveTraced(const UnionTree& tree, std::string_view path, bool follow_last,
                           bool strict) {
  std::deque<std::string> pending;
  PushComponents(pending, path, false);
  ResolvedPath out;
  out.inode = UnionTree::kRoot;
  // The components of out.inode's path, kept beside it: a symlink's target replaces them.
  std::vector<std::string> at;
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (!out.found) {  // past a missing component: lexically
      if (part != "..") {
        at.push_back(std::move(part));
      } else if (!at.empty()) {
        at.pop_back();
      }
      continue;
    }
    const UnionInode& dir = tree.inode(out.inode);
    if (dir.type != MemberType::kDirectory) {
      if (!strict) {
        out.found = false;
        pending.push_front(std::move(part));
        continue;
      }
      throw Error(ErrorKind::kNotFound, ENOTDIR, std::string(path) + ": not a directory");
    }
    if (part == "..") {
      out.inode = dir.parent;
      if (!at.empty()) at.pop_back();
      continue;
    }
    auto next = tree.Lookup(out.inode, part);
    if (!next && !strict) {
      out.found = false;
      at.push_back(std::move(part));
      continue;
    }
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
      std::string target = m ? std::string(m->link_target) : std::string();
      at.push_back(part);
      out.links.push_back({Absolute(at), target});
      at.pop_back();
      if (!target.empty() && target.front() == '/') {
        out.inode = UnionTree::kRoot;
        at.clear();
      }
      PushComponents(pending, target, true);
      continue;
    }
    out.inode = *next;
    at.push_back(std::move(part));
  }
  out.path = Absolute(at);
  return out;
}

uint32_t ResolveFollowing(const UnionTree& tree, std::string_view path, bool follow_last) {
  return ResolveTraced(tree, path, follow_last).inode;
}

}  // namespace imgmount
