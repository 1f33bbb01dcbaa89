#include "fs/node_source.h"

#include <sys/sysmacros.h>

#include <vector>

#include "index/layer/member_data.h"
#include "index/union/inode_numbers.h"
#include "index/union/lazy_resolver.h"
#include "layers/base/error.h"

namespace imgmount {

namespace {

// The stat fields every node has, from its type and attributes; `m` (if any) supplies the
// device numbers and a regular file's stored size.
struct stat MakeStat(uint64_t ino, MemberType type, uint32_t mode, uint32_t uid, uint32_t gid,
                     int64_t mtime_sec, uint32_t mtime_nsec, uint64_t size, uint32_t nlink,
                     const TarMember* m) {
  struct stat st {};
  st.st_ino = ino;
  st.st_mode = TypeBits(type) | (mode & 07777);
  st.st_nlink = nlink;
  st.st_uid = uid;
  st.st_gid = gid;
  st.st_size = static_cast<off_t>(type == MemberType::kDirectory ? 4096 : size);
  st.st_blksize = 4096;
  if (type == MemberType::kRegular && m != nullptr) {
    st.st_blocks = static_cast<blkcnt_t>((MemberStoredBytes(*m) + 511) / 512);
  } else if (type == MemberType::kDirectory) {
    st.st_blocks = 8;
  }
  if ((type == MemberType::kCharDevice || type == MemberType::kBlockDevice) && m != nullptr) {
    st.st_rdev = makedev(m->dev_major, m->dev_minor);
  }
  st.st_mtim.tv_sec = mtime_sec;
  st.st_mtim.tv_nsec = mtime_nsec;
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  return st;
}

// A node supplied by member `member` of the layer at `position`; the link count is not known
// before the tree exists (1 also tells find(1) not to count on a directory's link count).
Node FromMember(std::shared_ptr<const LayerIndex> layer, uint32_t position, uint32_t member,
                uint64_t ino) {
  const TarMember m = layer->member(member);
  Node node;
  node.ino = ino;
  node.type = m.type;
  uint64_t size = m.type == MemberType::kSymlink ? m.link_target.size() : m.size;
  node.st = MakeStat(ino, m.type, m.mode, m.uid, m.gid, m.mtime_sec, m.mtime_nsec, size, 1, &m);
  node.layer = std::move(layer);
  node.layer_position = position;
  node.member = member;
  return node;
}

}  // namespace

Node NodeSource::FromTree(const std::shared_ptr<const UnionTree>& tree, uint32_t id) {
  const UnionInode& inode = tree->inode(id);
  std::optional<TarMember> m = tree->member(id);
  Node node;
  node.ino = inode.ino;
  node.type = inode.type;
  node.st = MakeStat(inode.ino, inode.type, inode.mode, inode.uid, inode.gid, inode.mtime_sec,
                     inode.mtime_nsec, inode.size, inode.nlink, m ? &*m : nullptr);
  if (inode.layer != kNoIndex) {
    node.layer = tree->layers()[inode.layer];
    node.layer_position = inode.layer;
    node.member = inode.member;
  }
  node.settled = true;
  node.tree_id = id;
  return node;
}

std::optional<Node> NodeSource::Resolve(const std::string& path) const {
  uint32_t count = image_->layer_count();
  // The views a resolution used stay alive until it is done, even if the tree replaces them.
  std::vector<std::shared_ptr<const LayerView>> pinned(count);
  LazyResolver resolver(
      count,
      [&](uint32_t k) -> const LayerView& {
        if (!pinned[k]) pinned[k] = image_->WaitView(k);
        return *pinned[k];
      },
      [&](uint32_t k) -> const LayerView* {
        if (!pinned[k]) pinned[k] = image_->TryView(k);
        return pinned[k].get();
      });
  PathSource source = resolver.Resolve(path);
  if (source.kind == PathSource::Kind::kAbsent) return std::nullopt;
  bool directory = source.type == MemberType::kDirectory;
  uint64_t ino = InoOf(source, path);
  Node node;
  if (source.kind == PathSource::Kind::kImpliedDir) {
    node.ino = ino;
    node.st = MakeStat(ino, MemberType::kDirectory, 0755, 0, 0, 0, 0, 0, 1, nullptr);
    node.provisional = true;  // the tree gives it the mtime of the entry that implied it
  } else {
    node = FromMember(image_->TryLayer(source.layer), source.layer, source.member, ino);
    node.provisional = source.provisional;
  }
  if (directory && !path.empty()) {
    std::lock_guard lock(paths_mutex_);
    directory_paths_.try_emplace(ino, path);
  }
  return node;
}

std::optional<std::string> NodeSource::DirectoryPath(uint64_t ino) const {
  if (ino == kRootIno) return std::string();
  std::lock_guard lock(paths_mutex_);
  auto it = directory_paths_.find(ino);
  if (it == directory_paths_.end()) return std::nullopt;
  return it->second;
}

Node NodeSource::LazyRoot() const {
  // The topmost layer with a root entry gives the root its attributes. Scanning the members is
  // cheaper than building a large layer's lookup tables, and stat of the mountpoint should
  // answer at once.
  for (uint32_t k = image_->layer_count(); k-- > 0;) {
    std::shared_ptr<const LayerIndex> layer = image_->TryLayer(k);
    if (!layer) break;
    for (uint32_t i = layer->size(); i-- > 0;) {
      if (!layer->path(i).empty()) continue;
      // The last root entry of the layer counts (as in LayerView::Entry).
      if (layer->type(i) == MemberType::kDirectory) return FromMember(layer, k, i, kRootIno);
      break;
    }
  }
  Node node;
  node.ino = kRootIno;
  node.st = MakeStat(kRootIno, MemberType::kDirectory, 0755, 0, 0, 0, 0, 0, 1, nullptr);
  node.provisional = true;
  return node;
}

std::optional<Node> NodeSource::Find(uint64_t ino) const {
  if (std::shared_ptr<const UnionTree> tree = image_->tree()) {
    std::optional<uint32_t> id = tree->IdOfIno(ino);
    if (!id) return std::nullopt;
    return FromTree(tree, *id);
  }
  if (ino == kRootIno) return LazyRoot();
  uint32_t position = 0;
  uint32_t member = 0;
  if (InoToMember(ino, position, member)) {
    if (position >= image_->layer_count()) return std::nullopt;
    std::shared_ptr<const LayerIndex> layer = image_->TryLayer(position);
    if (!layer || member >= layer->size()) return std::nullopt;
    MemberType type = layer->type(member);
    if (type == MemberType::kDirectory || type == MemberType::kHardlink) return std::nullopt;
    return FromMember(std::move(layer), position, member, ino);
  }
  std::optional<std::string> path = DirectoryPath(ino);
  if (!path) return std::nullopt;
  return Resolve(*path);
}

std::optional<Node> NodeSource::Lookup(uint64_t parent, std::string_view name) const {
  if (std::shared_ptr<const UnionTree> tree = image_->tree()) {
    std::optional<uint32_t> dir = tree->IdOfIno(parent);
    if (!dir) return std::nullopt;
    if (tree->inode(*dir).type != MemberType::kDirectory) {
      throw Error(ErrorKind::kUsage, ENOTDIR, "not a directory");
    }
    std::optional<uint32_t> id = tree->Lookup(*dir, name);
    if (!id) return std::nullopt;
    return FromTree(tree, *id);
  }
  if (!IsDirectoryIno(parent) && parent != kRootIno) {
    throw Error(ErrorKind::kUsage, ENOTDIR, "not a directory");
  }
  std::optional<std::string> path = DirectoryPath(parent);
  if (!path) return std::nullopt;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return Resolve(path->empty() ? std::string(name) : *path + "/" + std::string(name));
}

}  // namespace imgmount
