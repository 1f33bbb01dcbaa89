#define FUSE_USE_VERSION 312
#include "fs/fuse_adapter.h"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "layers/error.h"

namespace imgmount {
namespace {

FsContext& Context(fuse_req_t req) {
  return *static_cast<FsContext*>(fuse_req_userdata(req));
}

// Maps a FUSE inode number to a tree id, or nullopt if it is not one of ours.
std::optional<uint32_t> IdOf(const UnionTree& tree, fuse_ino_t ino) {
  return tree.IdOfIno(ino);
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

mode_t TypeBits(MemberType type) {
  switch (type) {
    case MemberType::kDirectory:
      return S_IFDIR;
    case MemberType::kSymlink:
      return S_IFLNK;
    case MemberType::kCharDevice:
      return S_IFCHR;
    case MemberType::kBlockDevice:
      return S_IFBLK;
    case MemberType::kFifo:
      return S_IFIFO;
    case MemberType::kRegular:
    case MemberType::kHardlink:
      return S_IFREG;
  }
  return S_IFREG;
}

struct stat StatOf(const UnionTree& tree, uint32_t id) {
  const UnionInode& node = tree.inode(id);
  struct stat st {};
  st.st_ino = node.ino;
  st.st_mode = TypeBits(node.type) | (node.mode & 07777);
  st.st_nlink = node.nlink;
  st.st_uid = node.uid;
  st.st_gid = node.gid;
  st.st_size = static_cast<off_t>(node.type == MemberType::kDirectory ? 4096 : node.size);
  st.st_blksize = 4096;
  if (node.type == MemberType::kRegular) {
    st.st_blocks = static_cast<blkcnt_t>((tree.StoredBytes(id) + 511) / 512);
  } else if (node.type == MemberType::kDirectory) {
    st.st_blocks = 8;
  }
  if (node.type == MemberType::kCharDevice || node.type == MemberType::kBlockDevice) {
    if (auto m = tree.member(id)) st.st_rdev = makedev(m->dev_major, m->dev_minor);
  }
  st.st_mtim.tv_sec = node.mtime_sec;
  st.st_mtim.tv_nsec = node.mtime_nsec;
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  return st;
}

void ReplyEntry(fuse_req_t req, const FsContext& ctx, std::optional<uint32_t> id) {
  fuse_entry_param entry{};
  entry.entry_timeout = ctx.cache_seconds;  // also caches the negative answer when ino == 0
  if (id) {
    entry.ino = ctx.tree->inode(*id).ino;
    entry.generation = 1;
    entry.attr = StatOf(*ctx.tree, *id);
    entry.attr_timeout = ctx.cache_seconds;
  }
  fuse_reply_entry(req, &entry);
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto dir = IdOf(*ctx.tree, parent);
    if (!dir) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if (ctx.tree->inode(*dir).type != MemberType::kDirectory) {
      return static_cast<void>(fuse_reply_err(req, ENOTDIR));
    }
    ReplyEntry(req, ctx, ctx.tree->Lookup(*dir, name));
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
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    struct stat st = StatOf(*ctx.tree, *id);
    fuse_reply_attr(req, &st, ctx.cache_seconds);
  });
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    std::optional<TarMember> m = id ? ctx.tree->member(*id) : std::nullopt;
    if (!id || ctx.tree->inode(*id).type != MemberType::kSymlink || !m) {
      return static_cast<void>(fuse_reply_err(req, EINVAL));
    }
    fuse_reply_readlink(req, std::string(m->link_target).c_str());
  });
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
      return static_cast<void>(fuse_reply_err(req, EROFS));
    }
    if (ctx.tree->inode(*id).type == MemberType::kDirectory) {
      return static_cast<void>(fuse_reply_err(req, EISDIR));
    }
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  });
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if (ctx.tree->inode(*id).type != MemberType::kRegular) {
      return static_cast<void>(fuse_reply_err(req, EINVAL));
    }
    if (offset < 0) return static_cast<void>(fuse_reply_err(req, EINVAL));
    auto buffer = std::make_unique_for_overwrite<std::byte[]>(size);
    size_t got = ctx.tree->Read(*id, static_cast<uint64_t>(offset), std::span(buffer.get(), size));
    fuse_reply_buf(req, reinterpret_cast<const char*>(buffer.get()), got);
  });
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if (ctx.tree->inode(*id).type != MemberType::kDirectory) {
      return static_cast<void>(fuse_reply_err(req, ENOTDIR));
    }
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  });
}

// Shared by readdir and readdirplus: offsets 0 and 1 are "." and "..", 2+i is child i.
void ListDirectory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, bool plus) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    const UnionInode& dir = ctx.tree->inode(*id);
    if (dir.type != MemberType::kDirectory) return static_cast<void>(fuse_reply_err(req, ENOTDIR));
    auto children = ctx.tree->children(*id);
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
        name = entry.name;
      }
      size_t need = 0;
      if (plus) {
        fuse_entry_param entry{};
        entry.ino = ctx.tree->inode(child).ino;
        entry.generation = 1;
        entry.attr = StatOf(*ctx.tree, child);
        entry.attr_timeout = ctx.cache_seconds;
        entry.entry_timeout = ctx.cache_seconds;
        need = fuse_add_direntry_plus(req, buffer.data() + used, size - used, name.c_str(), &entry,
                                      index + 1);
      } else {
        struct stat st {};
        st.st_ino = ctx.tree->inode(child).ino;
        st.st_mode = TypeBits(ctx.tree->inode(child).type);
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
    FsContext& ctx = Context(req);
    struct statvfs st {};
    uint64_t bytes = 0;
    for (const auto& layer : ctx.tree->layers()) bytes += layer->stream()->Size();
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_blocks = (bytes + 4095) / 4096;
    st.f_files = ctx.tree->inode_count();
    st.f_namemax = 1024;
    st.f_flag = ST_RDONLY;
    fuse_reply_statfs(req, &st);
  });
}

// Name of the attribute that tells which layer supplies a path; answered by getxattr only, never
// listed, so that copies and diffs of the tree stay faithful.
constexpr std::string_view kLayerAttribute = "user.imgmount.layer";

void ReplyXattr(fuse_req_t req, std::string_view value, size_t size) {
  if (size == 0) return static_cast<void>(fuse_reply_xattr(req, value.size()));
  if (size < value.size()) return static_cast<void>(fuse_reply_err(req, ERANGE));
  fuse_reply_buf(req, value.data(), value.size());
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if (name == kLayerAttribute) {
      uint32_t layer = ctx.tree->inode(*id).layer;
      std::string value = "implied directory";
      if (layer < ctx.layer_labels.size()) value = ctx.layer_labels[layer];
      return ReplyXattr(req, value, size);
    }
    if (std::optional<TarMember> m = ctx.tree->member(*id)) {
      for (const auto& [key, value] : m->xattrs) {
        if (key == name) return ReplyXattr(req, value, size);
      }
    }
    fuse_reply_err(req, ENODATA);
  });
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    std::string names;
    if (std::optional<TarMember> m = ctx.tree->member(*id)) {
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

void OpLseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info*) {
  Guard(req, [&] {
    FsContext& ctx = Context(req);
    auto id = IdOf(*ctx.tree, ino);
    if (!id) return static_cast<void>(fuse_reply_err(req, ENOENT));
    if ((whence != SEEK_DATA && whence != SEEK_HOLE) || off < 0) {
      return static_cast<void>(fuse_reply_err(req, EINVAL));
    }
    uint64_t size = ctx.tree->inode(*id).size;
    if (static_cast<uint64_t>(off) >= size) return static_cast<void>(fuse_reply_err(req, ENXIO));
    auto found = ctx.tree->SeekData(*id, static_cast<uint64_t>(off), whence == SEEK_DATA);
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
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.readlink = OpReadlink;
  ops.open = OpOpen;
  ops.read = OpRead;
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
