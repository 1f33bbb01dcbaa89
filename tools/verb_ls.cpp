// `imgmount ls IMAGE [PATH]`: a directory of the image's root filesystem, as text like ls(1) or
// as one JSON document whose entries carry what `ls -l` shows.
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "index/union/path_history.h"
#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/listing_format.h"
#include "tools/path_messages.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

struct LsFlags {
  bool long_format = false;
  bool recursive = false;
  bool all = false;
  bool json = false;
  bool dereference = false;
};

// Receives what is listed, in order: each directory as it is entered, then its entries.
class Listing {
 public:
  virtual ~Listing() = default;
  // Directory `shown` (as the user named it) is entered.
  virtual void Directory(const std::string& shown) = 0;
  // Inode `id` is listed as `name`; `path` is its absolute path in the image.
  virtual void Entry(uint32_t id, const std::string& name, const std::string& path) = 0;
  // Symlink `id` is listed as `name` under -L, but it leads nowhere.
  virtual void Dangling(uint32_t id, const std::string& name, const std::string& path) {
    Entry(id, name, path);
  }
};

class TextListing final : public Listing {
 public:
  TextListing(const UnionTree& tree, const LsFlags& flags) : tree_(tree), flags_(flags) {}

  void Directory(const std::string& shown) override {
    if (!flags_.recursive) return;
    std::printf("%s%s:\n", first_ ? "" : "\n", shown.c_str());
    first_ = false;
  }

  void Entry(uint32_t id, const std::string& name, const std::string&) override {
    std::string line = flags_.long_format ? LongListingLine(tree_, id, name) : name;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }

  // As `ls -lL`: a line of question marks, nothing of the link being shown as its target's.
  void Dangling(uint32_t id, const std::string& name, const std::string& path) override {
    if (!flags_.long_format) return Entry(id, name, path);
    std::printf("l????????? %3s %5s %5s %10s %16s %s\n", "?", "?", "?", "?", "?", name.c_str());
  }

 private:
  const UnionTree& tree_;
  const LsFlags& flags_;
  bool first_ = true;
};

class JsonListing final : public Listing {
 public:
  JsonListing(const UnionTree& tree, const LsFlags& flags, const std::string& path)
      : tree_(tree), flags_(flags), w_(buffer_) {
    w_.StartObject();
    WriteString(w_, "path", path);
    w_.Key("entries");
    w_.StartArray();
  }

  void Directory(const std::string&) override {}

  void Entry(uint32_t id, const std::string& name, const std::string& path) override {
    const UnionInode& node = tree_.inode(id);
    w_.StartObject();
    WriteString(w_, "name", name);
    WriteString(w_, "path", path);
    WriteString(w_, "type", MemberTypeName(node.type));
    if (flags_.long_format) {
      WriteUint(w_, "mode", node.mode);
      WriteString(w_, "permissions", ModeString(node.type, node.mode));
      WriteUint(w_, "nlink", node.nlink);
      WriteUint(w_, "uid", node.uid);
      WriteUint(w_, "gid", node.gid);
      WriteUint(w_, "size", node.size);
      w_.Key("mtime");
      w_.Int64(node.mtime_sec);
      WriteUint(w_, "mtime_nsec", node.mtime_nsec);
      std::optional<TarMember> member = tree_.member(id);
      if (node.type == MemberType::kSymlink && member) {
        WriteString(w_, "target", member->link_target);
      }
      bool device = node.type == MemberType::kCharDevice || node.type == MemberType::kBlockDevice;
      if (device && member) {
        WriteUint(w_, "rdev_major", member->dev_major);
        WriteUint(w_, "rdev_minor", member->dev_minor);
      }
    }
    w_.EndObject();
  }

  // Ends the document and prints it.
  void Finish() {
    w_.EndArray();
    w_.EndObject();
    std::cout << JsonLine(buffer_);
  }

 private:
  const UnionTree& tree_;
  const LsFlags& flags_;
  rapidjson::StringBuffer buffer_;
  JsonWriter w_;
};

// With -L: passes on what each symlink leads to instead of the link itself, as `ls -L`; a link
// that leads nowhere is reported on stderr and passed on as dangling.
class DereferencingListing final : public Listing {
 public:
  DereferencingListing(const UnionTree& tree, Listing& inner, const std::string& image)
      : tree_(tree), inner_(inner), image_(image) {}

  void Directory(const std::string& shown) override { inner_.Directory(shown); }

  void Entry(uint32_t id, const std::string& name, const std::string& path) override {
    if (tree_.inode(id).type == MemberType::kSymlink) {
      try {
        id = ResolveFollowing(tree_, path, true);
      } catch (const Error& e) {
        PrintPathError(PathMessage("ls", image_, path, e));
        failed_ = true;
        return inner_.Dangling(id, name, path);
      }
    }
    inner_.Entry(id, name, path);
  }

  // Whether a link led nowhere.
  bool failed() const { return failed_; }

 private:
  const UnionTree& tree_;
  Listing& inner_;
  const std::string& image_;
  bool failed_ = false;
};

std::string ChildPath(const std::string& dir, std::string_view name) {
  return (dir == "/" ? "" : dir) + "/" + std::string(name);
}

// The absolute path in the image that `shown` names ("." and ".." folded lexically); `shown`
// itself if it climbs above the root.
std::string AbsolutePath(const std::string& shown) {
  size_t start = shown.find_first_not_of('/');
  auto joined = JoinInside("", start == std::string::npos ? "" : shown.substr(start));
  return joined ? "/" + *joined : shown;
}

std::string ParentOf(const std::string& path) {
  std::string_view parent = ParentPath(std::string_view(path).substr(1));
  return "/" + std::string(parent);
}

// Lists `dir`, and with -R every directory below it depth first in name order (like ls -R),
// with an explicit stack: an image decides how deep its tree is. `shown` is the directory as the
// user named it, `path` its absolute path in the image.
void ListDirectory(const UnionTree& tree, uint32_t dir, const std::string& shown,
                   const std::string& path, const LsFlags& flags, Listing& out) {
  struct Pending {
    uint32_t id;
    std::string shown;
    std::string path;
  };
  std::vector<Pending> stack{{dir, shown, path}};
  while (!stack.empty()) {
    Pending at = std::move(stack.back());
    stack.pop_back();
    out.Directory(at.shown);
    if (flags.all) {
      out.Entry(at.id, ".", at.path);
      out.Entry(tree.inode(at.id).parent, "..", ParentOf(at.path));
    }
    auto children = tree.children(at.id);
    for (const auto& entry : children) {
      std::string_view name = tree.name(entry);
      out.Entry(entry.inode, std::string(name), ChildPath(at.path, name));
    }
    if (!flags.recursive) return;
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      if (tree.inode(it->inode).type != MemberType::kDirectory) continue;
      std::string_view name = tree.name(*it);
      stack.push_back({it->inode, ChildPath(at.shown, name), ChildPath(at.path, name)});
    }
  }
}

// Lists `shown` (as the user named it) of the image `image` names.
int Ls(ImageArgs image, const std::string& shown, const LsFlags& flags) {
  std::string path = AbsolutePath(shown);
  ImageView view = OpenImageFromArgs(image);
  const UnionTree& tree = *view.tree;
  // As ls(1): a symlink named on the command line is followed except by -l (a final "/" or -L
  // follow it all the same).
  bool follow = !flags.long_format || flags.dereference || shown.ends_with('/');
  uint32_t id = 0;
  try {
    id = ResolveFollowing(tree, shown, follow);
  } catch (const Error& e) {
    ThrowPathError("ls", image.image, path, e);
  }
  TextListing text(tree, flags);
  JsonListing* json = nullptr;
  std::optional<JsonListing> json_listing;
  if (flags.json) json = &json_listing.emplace(tree, flags, path);
  Listing& plain = json ? static_cast<Listing&>(*json) : text;
  DereferencingListing dereferencing(tree, plain, image.image);
  Listing& out = flags.dereference ? static_cast<Listing&>(dereferencing) : plain;
  if (tree.inode(id).type != MemberType::kDirectory) {
    out.Entry(id, json ? std::string(BaseName(path)) : shown, path);
  } else {
    ListDirectory(tree, id, shown, path, flags, out);
  }
  if (json) json->Finish();
  return dereferencing.failed() ? 1 : 0;
}

}  // namespace

void AddLsCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    std::string path = "/";
    LsFlags flags;
  };
  auto args = std::make_shared<Args>();
  CLI::App* ls = cli.AddVerb(
      {"ls",
       "list a directory of the image's root filesystem",
       {{"imgmount ls [-l] [-L] [-R] [-a] [--json] [OPTIONS] IMAGE [PATH]"},
        "Without mounting. PATH defaults to /. As ls(1), PATH naming a symlink is followed,\n"
        "but not with -l (unless -L or a final /).",
        GlobalUse::kImage}},
      [&cli, args] { return Ls(cli.ImageOptions(args->image), args->path, args->flags); });
  ls->add_flag("-l", args->flags.long_format,
               "long listing (mode, links, uid, gid, size, mtime in UTC, symlink target)");
  ls->add_flag("-L", args->flags.dereference,
               "show what symlinks lead to instead of the links (a dangling one is reported, "
               "listed with question marks, or as itself in JSON, and makes the exit status 1)");
  ls->add_flag("-R", args->flags.recursive, "recurse into subdirectories");
  ls->add_flag("-a", args->flags.all, "also list . and ..");
  ls->add_flag("--json", args->flags.json,
               "one JSON object {\"path\", \"entries\": [...]}: per entry name, path (absolute "
               "in the image) and type; with -l also mode, permissions, nlink, uid, gid, size, "
               "mtime, mtime_nsec, target (symlinks) and rdev_major/rdev_minor (devices); with -R "
               "the entries of every directory below, in the order ls -R shows them");
  ls->add_option("IMAGE", args->image, "the image")->required();
  ls->add_option("PATH", args->path, "the directory or file to list (default /)");
}

}  // namespace imgmount
