#include <cstdio>
#include <iostream>
#include <vector>

#include "index/path_resolver.h"
#include "layers/error.h"
#include "tools/cli_common.h"
#include "tools/listing_format.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kLsHelp =
    "usage: imgmount ls [-l] [-R] [-a] [OPTIONS] IMAGE [PATH]\n"
    "List a directory of the image's root filesystem (default /), without mounting.\n"
    "  -l   long listing (mode, links, uid, gid, size, mtime in UTC, symlink target)\n"
    "  -R   recurse into subdirectories\n"
    "  -a   also list . and ..\n";

struct LsFlags {
  bool long_format = false;
  bool recursive = false;
  bool all = false;
};

void PrintEntry(const UnionTree& tree, uint32_t id, const std::string& name, const LsFlags& f) {
  std::string line = f.long_format ? LongListingLine(tree, id, name) : name;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
}

void ListOne(const UnionTree& tree, uint32_t dir, const std::string& shown, const LsFlags& flags) {
  if (flags.recursive) std::printf("%s:\n", shown.c_str());
  if (flags.all) {
    PrintEntry(tree, dir, ".", flags);
    PrintEntry(tree, tree.inode(dir).parent, "..", flags);
  }
  for (const auto& entry : tree.children(dir)) {
    PrintEntry(tree, entry.inode, std::string(entry.name), flags);
  }
}

// Lists `dir`, and with -R every directory below it depth first in name order (like ls -R),
// with an explicit stack: an image decides how deep its tree is.
void ListDirectory(const UnionTree& tree, uint32_t dir, const std::string& shown,
                   const LsFlags& flags) {
  std::vector<std::pair<uint32_t, std::string>> stack{{dir, shown}};
  bool first = true;
  while (!stack.empty()) {
    auto [id, path] = std::move(stack.back());
    stack.pop_back();
    if (!first) std::printf("\n");
    first = false;
    ListOne(tree, id, path, flags);
    if (!flags.recursive) return;
    auto children = tree.children(id);
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      if (tree.inode(it->inode).type != MemberType::kDirectory) continue;
      stack.emplace_back(it->inode, (path == "/" ? "" : path) + "/" + std::string(it->name));
    }
  }
}

}  // namespace

int RunLs(const std::vector<std::string>& args) {
  ImageArgs image;
  LsFlags flags;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kLsHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg.size() > 1 && arg[0] == '-' && arg[1] != '-') {
      for (char c : arg.substr(1)) {
        if (c == 'l') {
          flags.long_format = true;
        } else if (c == 'R') {
          flags.recursive = true;
        } else if (c == 'a') {
          flags.all = true;
        } else {
          UsageError("ls", std::string("unknown option -") + c);
        }
      }
      continue;
    }
    if (arg.starts_with("--")) UsageError("ls", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.empty() || positional.size() > 2) UsageError("ls", "expected IMAGE [PATH]");
  image.image = positional[0];
  std::string path = positional.size() > 1 ? positional[1] : "/";
  ImageView view = OpenImageFromArgs(image);
  const UnionTree& tree = *view.tree;
  uint32_t id = ResolveFollowing(tree, path, true);
  if (tree.inode(id).type != MemberType::kDirectory) {
    PrintEntry(tree, id, path, flags);
    return 0;
  }
  ListDirectory(tree, id, path, flags);
  return 0;
}

}  // namespace imgmount
