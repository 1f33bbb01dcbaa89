// Both trees are walked together, directory by directory, merging their sorted entries; a root
// that exists on one side only is one added or deleted entry.
//
// The same-member shortcut. A pair of inodes supplied by the same member of layers with the same
// proven identity (ProvenLayerIdentity: a digest computed over the layer's bytes while indexing,
// never one the image merely claims) has equal type, mode, owner, size, content, target, device
// numbers, xattrs and mtime, since the union takes all of them from that member; those are not
// compared, and the content is never read. What the union computes beyond the member is still
// compared: a non-directory's link count is the number of names the whole tree gives it, and a
// hardlink added or removed by any other layer changes it. A directory is always entered, since
// its children may come from other layers (whiteouts and opaque markers of upper layers show as
// children present on one side only). For every other pair all attributes are compared, and file
// contents only when the sizes agree, by their content hashes: a file is read at most once per
// comparison, and not at all when the index cache already holds its hash.
#include "index/view/tree_diff.h"

#include <algorithm>

namespace imgmount {

std::string ProvenLayerIdentity(const LayerIndex& layer) {
  // Equal uncompressed streams are walked into equal member tables, whatever their compression;
  // equal blobs hold equal streams. The prefixes keep the two kinds of digest apart.
  const LayerDigests& digests = layer.digests();
  if (!digests.stream.empty()) return "stream " + digests.stream;
  if (!digests.blob.empty()) return "blob " + digests.blob;
  return {};
}

namespace {

std::vector<std::string> LayerIdentities(const UnionTree& tree) {
  std::vector<std::string> out;
  for (const auto& layer : tree.layers()) out.push_back(ProvenLayerIdentity(*layer));
  return out;
}

class Differ {
 public:
  Differ(const DiffSide& a, const DiffSide& b, const DiffOptions& options)
      : a_(a),
        b_(b),
        options_(options),
        hashes_(options.hashes ? options.hashes : &own_hashes_),
        identities_a_(LayerIdentities(*a.tree)),
        identities_b_(LayerIdentities(*b.tree)) {}

  std::vector<DiffEntry> Run() {
    if (a_.root && b_.root) {
      Compare(*a_.root, *b_.root, "");
    } else if (a_.root || b_.root) {
      AddOneSided("", a_.root.value_or(kNoIndex), b_.root.value_or(kNoIndex));
    }
    return std::move(out_);
  }

 private:
  // Whether both inodes come from the same member of layers proven identical.
  bool SameMember(uint32_t ia, uint32_t ib) const {
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.layer == kNoIndex || y.layer == kNoIndex || x.member != y.member) return false;
    if (x.layer >= identities_a_.size() || y.layer >= identities_b_.size()) return false;
    const std::string& identity = identities_a_[x.layer];
    return !identity.empty() && identity == identities_b_[y.layer];
  }

  // Equal sizes are given: equal hashes mean equal content, and an empty file needs none.
  bool SameContent(uint32_t ia, uint32_t ib) {
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.size == 0) return true;
    return hashes_->Of(*a_.tree->layers()[x.layer], x.member) ==
           hashes_->Of(*b_.tree->layers()[y.layer], y.member);
  }

  // What differs between two inodes; with `same_member`, only what the member does not settle.
  std::vector<std::string> Changes(uint32_t ia, uint32_t ib, bool same_member) {
    std::vector<std::string> what;
    const UnionInode& x = a_.tree->inode(ia);
    const UnionInode& y = b_.tree->inode(ib);
    if (x.type != y.type) return {"type"};
    // A directory's link count only mirrors its subdirectories, which are reported themselves.
    bool links = x.type != MemberType::kDirectory && x.nlink != y.nlink;
    if (same_member) {
      if (links) what.push_back("links");
      return what;
    }
    if (x.mode != y.mode) what.push_back("mode");
    if (x.uid != y.uid) what.push_back("uid");
    if (x.gid != y.gid) what.push_back("gid");
    if (links) what.push_back("links");
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
    std::vector<std::string> what = Changes(ia, ib, SameMember(ia, ib));
    if (!what.empty()) {
      DiffEntry entry;
      entry.path = path;
      entry.kind = DiffEntry::Kind::kModified;
      entry.what = std::move(what);
      entry.type_a = a_.tree->inode(ia).type;
      entry.type_b = b_.tree->inode(ib).type;
      entry.id_a = ia;
      entry.id_b = ib;
      bool type_changed = entry.type_a != entry.type_b;
      out_.push_back(std::move(entry));
      if (type_changed) return false;
    }
    return a_.tree->inode(ia).type == MemberType::kDirectory;
  }

  // Reports `path`, present on one side only (the other id is kNoIndex), as deleted or added.
  void AddOneSided(std::string path, uint32_t ia, uint32_t ib) {
    DiffEntry entry;
    entry.path = std::move(path);
    entry.kind = ia != kNoIndex ? DiffEntry::Kind::kDeleted : DiffEntry::Kind::kAdded;
    entry.id_a = ia;
    entry.id_b = ib;
    if (ia != kNoIndex) entry.type_a = a_.tree->inode(ia).type;
    if (ib != kNoIndex) entry.type_b = b_.tree->inode(ib).type;
    out_.push_back(std::move(entry));
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
                                      : a_.tree->name(c.a[c.i]).compare(b_.tree->name(c.b[c.j]));
      std::string_view name = order <= 0 ? a_.tree->name(c.a[c.i]) : b_.tree->name(c.b[c.j]);
      std::string child = c.path.empty() ? std::string(name) : c.path + "/" + std::string(name);
      if (order == 0) {
        uint32_t x = c.a[c.i++].inode;
        uint32_t y = c.b[c.j++].inode;
        if (ComparePair(x, y, child)) enter(x, y, std::move(child));  // invalidates `c`
        continue;
      }
      if (order < 0) {
        AddOneSided(std::move(child), c.a[c.i++].inode, kNoIndex);
      } else {
        AddOneSided(std::move(child), kNoIndex, c.b[c.j++].inode);
      }
    }
  }

  const DiffSide& a_;
  const DiffSide& b_;
  DiffOptions options_;
  ContentHashes own_hashes_;
  ContentHashes* hashes_;
  // ProvenLayerIdentity of each layer position of each side.
  std::vector<std::string> identities_a_;
  std::vector<std::string> identities_b_;
  std::vector<DiffEntry> out_;
};

}  // namespace

std::vector<DiffEntry> DiffTrees(const DiffSide& a, const DiffSide& b, const DiffOptions& options) {
  return Differ(a, b, options).Run();
}

}  // namespace imgmount
