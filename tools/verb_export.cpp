// `imgmount export IMAGE OUT.tar`: the flattened root filesystem as one tar, like `docker export`:
// every attribute kept (mode, owner, nanosecond mtime, xattrs, devices, sparse holes) and
// hardlinked names written as hardlinks to the first name of their inode.
//
// The tar is written so that GNU tar and bsdtar read it without a warning. Xattrs go out as
// SCHILY.xattr.* records only (libarchive's pax writer adds LIBARCHIVE.xattr.* copies by
// default, which GNU tar warns about). Names are bytes: libarchive converts each name from the
// process's character set to UTF-8 and marks an entry hdrcharset=BINARY where that fails. Under
// the C locale every non-ASCII name fails; so the export runs with a UTF-8 character set on its
// thread, and only a name that is not valid UTF-8 (which no reader could decode otherwise) is
// marked BINARY.
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kExportHelp =
    "usage: imgmount export [OPTIONS] IMAGE OUT.tar\n"
    "Write the image's root filesystem as one tar (pax format), like `docker export`;\n"
    "OUT.tar '-' writes to standard output.\n";

// Gives the calling thread a UTF-8 character set (C.UTF-8) for its lifetime, where the system
// has one; the process's locale stays as it is.
class ThreadUtf8Locale {
 public:
  ThreadUtf8Locale() {
    utf8_ = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = ::uselocale(utf8_);
  }
  ~ThreadUtf8Locale() {
    if (utf8_ == static_cast<locale_t>(nullptr)) return;
    ::uselocale(previous_);
    ::freelocale(utf8_);
  }
  ThreadUtf8Locale(const ThreadUtf8Locale&) = delete;
  ThreadUtf8Locale& operator=(const ThreadUtf8Locale&) = delete;

 private:
  locale_t utf8_ = static_cast<locale_t>(nullptr);
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

class TarExporter {
 public:
  TarExporter(const UnionTree& tree, const std::string& out)
      : tree_(tree), out_(out), owned_archive_(archive_write_new(), &archive_write_free) {
    archive_ = owned_archive_.get();
    archive_write_set_format_pax(archive_);
    if (archive_write_set_format_option(archive_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
      Fail("cannot choose SCHILY.xattr records");
    }
    int r = out == "-" ? archive_write_open_fd(archive_, 1)
                       : archive_write_open_filename(archive_, out.c_str());
    if (r != ARCHIVE_OK) Fail("cannot create");
  }

  void Run() {
    // Depth first, each directory before its entries; an explicit stack keeps deep trees safe.
    std::vector<std::pair<uint32_t, std::string>> stack{{UnionTree::kRoot, "."}};
    while (!stack.empty()) {
      auto [id, path] = std::move(stack.back());
      stack.pop_back();
      Write(id, path);
      auto children = tree_.children(id);
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        stack.emplace_back(it->inode, path + "/" + std::string(it->name));
      }
    }
    if (archive_write_close(archive_) != ARCHIVE_OK) Fail("cannot finish");
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    const char* why = archive_error_string(archive_);
    throw Error(ErrorKind::kIo, EIO, out_ + ": " + what + ": " + (why ? why : "unknown error"));
  }

  void Write(uint32_t id, const std::string& path) {
    const UnionInode& node = tree_.inode(id);
    std::optional<TarMember> member = tree_.member(id);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_uid(entry, node.uid);
    archive_entry_set_gid(entry, node.gid);
    archive_entry_set_mtime(entry, node.mtime_sec, node.mtime_nsec);
    archive_entry_set_perm(entry, node.mode & 07777);
    archive_entry_set_filetype(entry, TypeBits(node.type));  // AE_IF* equal S_IF* on Linux
    if (member) {
      for (const auto& [name, value] : member->xattrs) {
        archive_entry_xattr_add_entry(entry, std::string(name).c_str(), value.data(), value.size());
      }
    }
    bool data = false;
    if (node.type == MemberType::kRegular && node.nlink > 1) {
      auto [it, first] = first_names_.try_emplace(id, path);
      if (!first) {
        archive_entry_set_hardlink(entry, it->second.c_str());
        archive_entry_set_size(entry, 0);
      } else {
        data = true;
      }
    } else if (node.type == MemberType::kRegular) {
      data = true;
    }
    if (data) {
      archive_entry_set_size(entry, static_cast<la_int64_t>(node.size));
      if (member && member->is_sparse) {
        for (const SparseExtent& run : member->sparse) {
          archive_entry_sparse_add_entry(entry, static_cast<la_int64_t>(run.offset),
                                         static_cast<la_int64_t>(run.length));
        }
        // A file that is all hole keeps a map (one empty run at its end, as GNU tar writes it),
        // so it stays sparse instead of becoming stored zeros.
        if (member->sparse.empty()) {
          archive_entry_sparse_add_entry(entry, static_cast<la_int64_t>(node.size), 0);
        }
      }
    }
    if (node.type == MemberType::kSymlink && member) {
      archive_entry_set_symlink(entry, std::string(member->link_target).c_str());
    }
    if ((node.type == MemberType::kCharDevice || node.type == MemberType::kBlockDevice) && member) {
      archive_entry_set_rdev(entry, makedev(member->dev_major, member->dev_minor));
    }
    int r = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    if (r < ARCHIVE_WARN) Fail("cannot write " + path);
    if (data) WriteData(id, node);
  }

  // Writes a file's logical content; for a sparse entry libarchive drops the holes itself.
  void WriteData(uint32_t id, const UnionInode& node) {
    uint64_t done = 0;
    while (done < node.size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), node.size - done));
      size_t got = tree_.Read(id, done, std::span(buffer_.data(), want));
      if (got == 0) break;
      if (archive_write_data(archive_, buffer_.data(), got) < 0) Fail("cannot write data");
      done += got;
    }
  }

  const UnionTree& tree_;
  std::string out_;
  // Set before libarchive first asks for the character set, kept until the archive is freed.
  ThreadUtf8Locale utf8_;
  std::unique_ptr<archive, decltype(&archive_write_free)> owned_archive_;
  archive* archive_ = nullptr;
  std::map<uint32_t, std::string> first_names_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(1 << 20);
};

}  // namespace

int RunExport(const std::vector<std::string>& args) {
  ImageArgs image;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kExportHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg.size() > 1 && arg[0] == '-') UsageError("export", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() != 2) UsageError("export", "expected IMAGE OUT.tar");
  image.image = positional[0];
  ImageView view = OpenImageFromArgs(image);
  TarExporter exporter(*view.tree, positional[1]);
  exporter.Run();
  return 0;
}

}  // namespace imgmount
