// Both trees are walked together, directory by directory, merging their sorted entries. A pair of
// entries whose inodes come from the same member of layers with the same digest is equal without
// looking further (a directory is still entered: its children may come from other layers). For
// other pairs every attribute is compared, and file contents only when the sizes agree, by their
// content hashes: a file is read at most once per comparison, and not at all when the index cache
// already holds its hash.
#include "index/tree_diff.h"

#include <algorithm>

namespace imgmount {
namespace {

class Differ {
 public:
  Differ(const DiffSide& a, const DiffSide& b, const DiffOptions& options)
      : a_(a), b_(b), options_(options), hashes_(options.hashes ? options.hashes : &own_hashes_) {}

  std::vector<DiffEntry> Run() {
    Compare(a_.root, b_.root, "");
    return std::move(out_);
  }

 private:
  bool SameSource(uint32_t ia, uint32_t ib) const {
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.layer == kNoIndex || y.layer == kNoIndex || x.member != y.member) return false;
    if (x.layer >= a_.layer_keys.size() || y.layer >= b_.layer_keys.size()) return false;
    const std::string& key = a_.layer_keys[x.layer];
    return !key.empty() && key == b_.layer_keys[y.layer];
  }

  // Equal sizes are given: equal hashes mean equal content, and an empty file needs none.
  bool SameContent(uint32_t ia, uint32_t ib) {
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.size == 0) return true;
    return hashes_->Of(*a_.tree->layers()[x.layer], x.member) ==
           hashes_->Of(*b_.tree->layers()[y.layer], y.member);
  }

  std::vector<std::string> Changes(uint32_t ia, uint32_t ib) {
    std::vector<std::string> what;
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.type != y.type) return {"type"};
    if (x.mode != y.mode) what.push_back("mode");
    if (x.uid != y.uid) what.push_back("uid");
    if (x.gid != y.gid) what.push_back("gid");
    // A directory's link count only mirrors its subdirectories, which are reported themselves.
    if (x.type != MemberType::kDirectory && x.nlink != y.nlink) what.push_back("links");
    std::optional<TarMember> mx = a_.tree->member(ia);
    std::optional<TarMember> my = b_.tree->member(ib);
    if (x.type == MemberType::kRegular) {
      if (x.size != y.size) {
        what.push_back("size");
        what.push_back("content");
      } else if (!SameContent(ia, ib)) {
        what.push_back("content");
      }
    }
    if (x.type == MemberType::kSymlink &&
        (mx ? mx->link_target : "") != (my ? my->link_target : "")) {
      what.push_back("target");
    }
    bool device = x.type == MemberType::kCharDevice || x.type == MemberType::kBlockDevice;
    if (device && mx && my && (mx->dev_major != my->dev_major || mx->dev_minor != my->dev_minor)) {
      what.push_back("rdev");
    }
    auto xattrs_a = mx ? mx->xattrs : decltype(mx->xattrs){};
    auto xattrs_b = my ? my->xattrs : decltype(my->xattrs){};
    std::sort(xattrs_a.begin(), xattrs_a.end());
    std::sort(xattrs_b.begin(), xattrs_b.end());
    if (xattrs_a != xattrs_b) what.push_back("xattrs");
    if (!options_.ignore_mtime && (x.mtime_sec != y.mtime_sec || x.mtime_nsec != y.mtime_nsec)) {
      what.push_back("mtime");
    }
    return what;
  }

  // Compares one pair of entries; returns whether both are directories to descend into.
  bool ComparePair(uint32_t ia, uint32_t ib, const std::string& path) {
    if (!SameSource(ia, ib)) {
      std::vector<std::string> what = Changes(ia, ib);
      if (!what.empty()) {
        DiffEntry entry;
        entry.path = path;
        entry.kind = DiffEntry::Kind::kModified;
        entry.what = std::move(what);
        entry.type_a = a_.tree->inode(ia).type;
        entry.type_b = b_.tree->inode(ib).type;
        bool type_changed = entry.type_a != entry.type_b;
        out_.push_back(std::move(entry));
        if (type_changed) return false;
      }
    }
    return a_.tree->inode(ia).type == MemberType::kDirectory;
  }

  // Depth first in name order, as a recursive walk would report, but with an explicit stack of
  // directory cursors: an image decides how deep its tree is.
  void Compare(uint32_t root_a, uint32_t root_b, const std::string& root_path) {
    struct Cursor {
      std::span<const UnionDirent> a;
      std::span<const UnionDirent> b;
      size_t i = 0;
      size_t j = 0;
      std::string path;
    };
    std::vector<Cursor> stack;
    auto enter = [&](uint32_t x, uint32_t y, std::string path) {
      stack.push_back({a_.tree->children(x), b_.tree->children(y), 0, 0, std::move(path)});
    };
    if (ComparePair(root_a, root_b, root_path)) enter(root_a, root_b, root_path);
    while (!stack.empty()) {
      Cursor& c = stack.back();
      if (c.i == c.a.size() && c.j == c.b.size()) {
        stack.pop_back();
        continue;
      }
      int order = c.i == c.a.size()   ? 1
                  : c.j == c.b.size() ? -1
                                      : c.a[c.i].name.compare(c.b[c.j].name);
      std::string_view name = order <= 0 ? c.a[c.i].name : c.b[c.j].name;
      std::string child = c.path.empty() ? std::string(name) : c.path + "/" + std::string(name);
      if (order == 0) {
        uint32_t x = c.a[c.i++].inode;
        uint32_t y = c.b[c.j++].inode;
        if (ComparePair(x, y, child)) enter(x, y, std::move(child));  // invalidates `c`
        continue;
      }
      DiffEntry entry;
      entry.path = std::move(child);
      entry.kind = order < 0 ? DiffEntry::Kind::kDeleted : DiffEntry::Kind::kAdded;
      if (order < 0) {
        entry.type_a = a_.tree->inode(c.a[c.i++].inode).type;
      } else {
        entry.type_b = b_.tree->inode(c.b[c.j++].inode).type;
      }
      out_.push_back(std::move(entry));
    }
  }

  const DiffSide& a_;
  const DiffSide& b_;
  DiffOptions options_;
  ContentHashes own_hashes_;
  ContentHashes* hashes_;
  std::vector<DiffEntry> out_;
};

}  // namespace

std::vector<DiffEntry> DiffTrees(const DiffSide& a, const DiffSide& b, const DiffOptions& options) {
  return Differ(a, b, options).Run();
}

}  // namespace imgmount
