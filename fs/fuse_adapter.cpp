#define FUSE_USE_VERSION 312
#include "fs/fuse_adapter.h"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "fs/open_file.h"
#include "index/view/mount_status.h"
#include "layers/base/error.h"

namespace imgmount {
namespace {

FsContext& Context(fuse_req_t req) {
  return *static_cast<FsContext*>(fuse_req_userdata(req));
}

// Runs an operation, turning exceptions into an error reply.
template <typename Fn>
void Guard(fuse_req_t req, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    fuse_reply_err(req, e.errno_value() != 0 ? e.errno_value() : EIO);
  } catch (const std::bad_alloc&) {
    fuse_reply_err(req, ENOMEM);
  } catch (const std::exception&) {
    fuse_reply_err(req, EIO);
  }
}

// Seconds the kernel may keep an answer about `node`.
double Timeout(const FsContext& ctx, const Node& node) {
  return node.settled ? ctx.cache_seconds : 0.0;
}

// The node numbered `ino`; replies ENOENT and returns nullopt if there is none.
std::optional<Node> FindOrReply(fuse_req_t req, fuse_ino_t ino) {
  std::optional<Node> node = Context(req).nodes->Find(ino);
  if (!node) fuse_reply_err(req, ENOENT);
  return node;
}

// A directory's node whose attributes are final (waits for the tree if they may still change).
std::optional<Node> SettledOrReply(fuse_req_t req, fuse_ino_t ino) {
  std::optional<Node> node = FindOrReply(req, ino);
  if (node && node->provisional) {
    Context(req).nodes->WaitTree();
    node = FindOrReply(req, ino);
  }
  return node;
}

fuse_entry_param EntryOf(const FsContext& ctx, const Node& node) {
  fuse_entry_param entry{};
  entry.ino = node.ino;
  entry.generation = 1;
  entry.attr = node.st;
  entry.attr_timeout = Timeout(ctx, node);
  entry.entry_timeout = Timeout(ctx, node);
  return entry;
}

// Connection settings: every listing batch is a readdirplus one (not only the first as in the
// kernel's "auto" mode); which of its entries carry attributes is ListingAttributes' choice.
// Read-ahead up to kReadaheadKib.
void OpInit(void*, fuse_conn_info* conn) {
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  conn->max_readahead = kReadaheadKib * 1024;
}

// Drops the kernel's cached listings (and attributes) of directories `ids`, so that their next
// listing is read again, with attributes. Stops at the first failure other than "not cached".
void InvalidateListings(fuse_session* session, std::shared_ptr<const UnionTree> tree,
                        std::vector<uint32_t> ids) {
  for (uint32_t id : ids) {
    int result = fuse_lowlevel_notify_inval_inode(session, tree->inode(id).ino, 0, 0);
    if (result != 0 && result != -ENOENT) return;
  }
}

// Tells the listing policy that a non-directory of directory `parent` was looked up; when that
// turns attributes on, the listings given bare are invalidated in the background.
void NoteLookupInListedDirectory(FsContext& ctx, fuse_ino_t parent) {
  if (ctx.listing_attributes.attributes_wanted()) return;
  std::shared_ptr<const UnionTree> tree = ctx.nodes->image().tree();
  if (!tree) return;  // nothing was listed yet
  std::optional<uint32_t> id = tree->IdOfIno(parent);
  if (!id) return;
  std::vector<uint32_t> listed = ctx.listing_attributes.NoteLookup(*id);
  if (listed.empty() || ctx.session == nullptr) return;
  ctx.listing_invalidator = std::jthread(InvalidateListings, ctx.session, tree, std::move(listed));
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    std::optional<Node> node = ctx.nodes->Lookup(parent, name);
    fuse_entry_param entry{};
    if (node) {
      entry = EntryOf(ctx, *node);
      if (node->type != MemberType::kDirectory) NoteLookupInListedDirectory(ctx, parent);
    } else {
      // A negative answer is final only once the tree exists.
      entry.entry_timeout = ctx.nodes->image().tree() ? ctx.cache_seconds : 0.0;
    }
    fuse_reply_entry(req, &entry);
  });
}

void OpForget(fuse_req_t req, fuse_ino_t, uint64_t) {
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t, fuse_forget_data*) {
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, [&] {
    std::optional<Node> node = FindOrReply(req, ino);
    if (node) fuse_reply_attr(req, &node->st, Timeout(Context(req), *node));
  });
}

// The member behind a node, or nullopt for an implied directory.
std::optional<TarMember> MemberOf(const Node& node) {
  if (!node.layer || node.member == kNoIndex) return std::nullopt;
  return node.layer->member(node.member);
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  Guard(req, [&] {
    std::optional<Node> node = FindOrReply(req, ino);
    if (!node) return;
    std::optional<TarMember> m = MemberOf(*node);
    if (node->type != MemberType::kSymlink || !m) {
      return static_cast<void>(fuse_reply_err(req, EINVAL));
    }
    fuse_reply_readlink(req, std::string(m->link_target).c_str());
  });
}

// The per-open state behind fi->fh (set by open for a regular file, else 0).
const OpenFile* OpenFileOf(const fuse_file_info* fi) {
  return fi != nullptr ? reinterpret_cast<const OpenFile*>(fi->fh) : nullptr;
}

// Resolves the inode once: a regular file's reads and lseeks are served from the OpenFile put in
// fi->fh, which release deletes. Other nodes open with fh 0, and their reads answer EINVAL.
void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, [&] {
    std::optional<Node> node = FindOrReply(req, ino);
    if (!node) return;
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
      return static_cast<void>(fuse_reply_err(req, EROFS));
    }
    if (node->type == MemberType::kDirectory) return static_cast<void>(fuse_reply_err(req, EISDIR));
    std::unique_ptr<OpenFile> file;
    if (node->type == MemberType::kRegular && node->layer && node->member != kNoIndex) {
      file = std::make_unique<OpenFile>(node->layer, node->member);
    }
    fi->fh = reinterpret_cast<uint64_t>(file.get());
    fi->keep_cache = 1;
    // A failed reply (the open was interrupted) is followed by no release: the state goes now.
    if (fuse_reply_open(req, fi) == 0) static_cast<void>(file.release());
  });
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete OpenFileOf(fi);
  fuse_reply_err(req, 0);
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  Guard(req, [&] {
    const OpenFile* file = OpenFileOf(fi);
    if (file == nullptr || offset < 0) return static_cast<void>(fuse_reply_err(req, EINVAL));
    // A read of a compressed layer is sent from its decoded spans, not copied first.
    if (auto lent = file->Lend(static_cast<uint64_t>(offset), size)) {
      std::array<iovec, kMaxLentPieces> pieces{};
      for (size_t i = 0; i < lent->pieces.size(); ++i) {
        std::span<const std::byte> bytes = lent->pieces[i].bytes;
        pieces[i] = {const_cast<std::byte*>(bytes.data()), bytes.size()};
      }
      fuse_reply_iov(req, pieces.data(), static_cast<int>(lent->pieces.size()));
      return;
    }
    auto buffer = std::make_unique_for_overwrite<std::byte[]>(size);
    size_t got = file->Read(static_cast<uint64_t>(offset), std::span(buffer.get(), size));
    fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.get()), got);
  });
}

// Directories need no open: ENOSYS tells the kernel to stop sending OPENDIR and RELEASEDIR (two
// of the four requests a directory walk costs per directory) and to cache listings and pages as
// FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE would; readdir checks the inode itself.
void OpOpendir(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  fuse_reply_err(req, ENOSYS);
}

// Shared by readdir and readdirplus: offsets 0 and 1 are "." and "..", 2+i is child i. A listing
// needs every layer, so it waits for the tree.
void ListDirectory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, bool plus) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    std::shared_ptr<const UnionTree> tree = ctx.nodes->WaitTree();
    auto id = tree->IdOfIno(ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    const UnionInode& dir = tree->inode(*id);
    if (dir.type != MemberType::kDirectory) return static_cast<void>(fuse_reply_err(req, ENOTDIR));
    auto children = tree->children(*id);
    bool bare = plus && ctx.listing_attributes.ListBare(*id, tree->inode_count());
    std::vector<char> buffer(size);
    size_t used = 0;
    for (off_t index = std::max<off_t>(offset, 0); index < static_cast<off_t>(children.size()) + 2;
         ++index) {
      uint32_t child = 0;
      std::string name;  // fuse_add_direntry wants it NUL-terminated
      if (index == 0) {
        child = *id;
        name = ".";
      } else if (index == 1) {
        child = dir.parent;
        name = "..";
      } else {
        const UnionDirent& entry = children[static_cast<size_t>(index - 2)];
        child = entry.inode;
        name = tree->name(entry);
      }
      size_t need = 0;
      if (plus) {
        fuse_entry_param entry = EntryOf(ctx, NodeSource::FromTree(tree, child));
        // Node id 0: the kernel lists the name and type but builds no inode for it.
        if (bare && tree->inode(child).type != MemberType::kDirectory) entry.ino = 0;
        need = fuse_add_direntry_plus(req, buffer.data() + used, size - used, name.c_str(), &entry,
                                      index + 1);
      } else {
        struct stat st {};
        st.st_ino = tree->inode(child).ino;
        st.st_mode = TypeBits(tree->inode(child).type);
        need =
            fuse_add_direntry(req, buffer.data() + used, size - used, name.c_str(), &st, index + 1);
      }
      if (need > size - used) break;
      used += need;
    }
    fuse_reply_buf(req, buffer.data(), used);
  });
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  ListDirectory(req, ino, size, off, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  ListDirectory(req, ino, size, off, true);
}

void OpStatfs(fuse_req_t req, fuse_ino_t) {
  Guard(req, [&] {
    const LazyImage& image = Context(req).nodes->image();
    struct statvfs st {};
    uint64_t bytes = 0;
    uint64_t files = 0;
    for (uint32_t k = 0; k < image.layer_count(); ++k) {
      if (std::shared_ptr<const LayerIndex> layer = image.TryLayer(k)) {
        bytes += layer->stream()->Size();
        files += layer->size();
      }
    }
    if (std::shared_ptr<const UnionTree> tree = image.tree()) files = tree->inode_count();
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_blocks = (bytes + 4095) / 4096;
    st.f_files = files;
    st.f_namemax = 255;
    st.f_flag = ST_RDONLY;
    fuse_reply_statfs(req, &st);
  });
}

// Name of the attribute that tells which layer supplies a path; answered by getxattr only, never
// listed, so that copies and diffs of the tree stay faithful.
constexpr std::string_view kLayerAttribute = "user.imgmount.layer";

// Name of the root's attribute that tells how far the indexing is ("complete" at the end).
constexpr std::string_view kProgressAttribute = "user.imgmount.progress";

// Name of the root's attribute that tells the same for programs (index/view/mount_status.h), read
// by `imgmount status`.
constexpr std::string_view kStatusAttribute = "user.imgmount.status";

// "complete", "failed: WHY", or "indexing" and a line per layer: "layer K: DONE/TOTAL STATE".
std::string ProgressText(const LazyImage& image) {
  if (image.Finished()) {
    try {
      image.WaitTree();
      return "complete";
    } catch (const std::exception& e) {
      return std::string("failed: ") + e.what();
    }
  }
  static constexpr const char* kStates[] = {"queued", "indexing", "ready", "failed"};
  std::string text = "indexing";
  std::vector<LayerProgress> layers = image.Progress();
  for (size_t k = 0; k < layers.size(); ++k) {
    text += "\nlayer " + std::to_string(k + 1) + ": " + std::to_string(layers[k].done) + "/" +
            std::to_string(layers[k].total) + " " + kStates[static_cast<int>(layers[k].state)];
  }
  return text;
}

void ReplyXattr(fuse_req_t req, std::string_view value, size_t size) {
  if (size == 0) return static_cast<void>(fuse_reply_xattr(req, value.size()));
  if (size < value.size()) return static_cast<void>(fuse_reply_err(req, ERANGE));
  fuse_reply_buf(req, value.data(), value.size());
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    if (ino == FUSE_ROOT_ID && name == kProgressAttribute) {
      return ReplyXattr(req, ProgressText(ctx.nodes->image()), size);
    }
    if (ino == FUSE_ROOT_ID && name == kStatusAttribute) {
      MountStatus status = StatusOf(ctx.nodes->image(), ctx.image_name, ::getpid());
      return ReplyXattr(req, EncodeMountStatus(status), size);
    }
    std::optional<Node> node = SettledOrReply(req, ino);
    if (!node) return;
    if (name == kLayerAttribute) {
      std::string value = "implied directory";
      if (node->layer_position < ctx.layer_labels.size()) {
        value = ctx.layer_labels[node->layer_position];
      }
      return ReplyXattr(req, value, size);
    }
    if (std::optional<TarMember> m = MemberOf(*node)) {
      for (const auto& [key, value] : m->xattrs) {
        if (key == name) return ReplyXattr(req, value, size);
      }
    }
    fuse_reply_err(req, ENODATA);
  });
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guard(req, [&] {
    std::optional<Node> node = SettledOrReply(req, ino);
    if (!node) return;
    std::string names;
    if (std::optional<TarMember> m = MemberOf(*node)) {
      for (const auto& xattr : m->xattrs) {
        names += xattr.first;
        names += '\0';
      }
    }
    if (size == 0) return static_cast<void>(fuse_reply_xattr(req, names.size()));
    if (size < names.size()) return static_cast<void>(fuse_reply_err(req, ERANGE));
    fuse_reply_buf(req, names.data(), names.size());
  });
}

void OpLseek(fuse_req_t req, fuse_ino_t, off_t off, int whence, fuse_file_info* fi) {
  Guard(req, [&] {
    const OpenFile* file = OpenFileOf(fi);
    if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0 || file == nullptr) {
      return static_cast<void>(fuse_reply_err(req, EINVAL));
    }
    uint64_t size = file->size();
    if (static_cast<uint64_t>(off) >= size) return static_cast<void>(fuse_reply_err(req, ENXIO));
    auto found = file->Seek(static_cast<uint64_t>(off), whence == SEEK_DATA);
    if (!found) {
      if (whence == SEEK_DATA) return static_cast<void>(fuse_reply_err(req, ENXIO));
      found = size;
    }
    fuse_reply_lseek(req, static_cast<off_t>(*found));
  });
}

void ReadOnly(fuse_req_t req) {
  fuse_reply_err(req, EROFS);
}
void OpSetattr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) {
  ReadOnly(req);
}
void OpMknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
  ReadOnly(req);
}
void OpMkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) {
  ReadOnly(req);
}
void OpUnlink(fuse_req_t req, fuse_ino_t, const char*) {
  ReadOnly(req);
}
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) {
  ReadOnly(req);
}
void OpRename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  ReadOnly(req);
}
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  ReadOnly(req);
}
void OpWrite(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) {
  ReadOnly(req);
}
void OpCreate(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
  ReadOnly(req);
}
void OpSetxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  ReadOnly(req);
}
void OpRemovexattr(fuse_req_t req, fuse_ino_t, const char*) {
  ReadOnly(req);
}
void OpFallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) {
  ReadOnly(req);
}

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.readlink = OpReadlink;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.release = OpRelease;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.statfs = OpStatfs;
  ops.getxattr = OpGetxattr;
  ops.listxattr = OpListxattr;
  ops.lseek = OpLseek;
  ops.setattr = OpSetattr;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.unlink = OpUnlink;
  ops.rmdir = OpUnlink;
  ops.symlink = OpSymlink;
  ops.rename = OpRename;
  ops.link = OpLink;
  ops.write = OpWrite;
  ops.create = OpCreate;
  ops.setxattr = OpSetxattr;
  ops.removexattr = OpRemovexattr;
  ops.fallocate = OpFallocate;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& ImageFsOperations() {
  static const fuse_lowlevel_ops ops = MakeOperations();
  return ops;
}

}  // namespace imgmount
