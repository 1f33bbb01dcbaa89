#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kCatHelp =
    "usage: imgmount cat [OPTIONS] IMAGE PATH...\n"
    "Write files of the image's root filesystem to standard output, without mounting.\n"
    "Symlinks inside the image are followed as a container would (at most 40).\n";

void WriteAll(const std::byte* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(STDOUT_FILENO, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("write to standard output");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void CatFile(const UnionTree& tree, const std::string& path) {
  uint32_t id = ResolveFollowing(tree, path, true);
  const UnionInode& node = tree.inode(id);
  if (node.type == MemberType::kDirectory) {
    throw Error(ErrorKind::kNotFound, EISDIR, path + ": is a directory");
  }
  if (node.type != MemberType::kRegular) {
    throw Error(ErrorKind::kNotFound, EINVAL, path + ": not a regular file");
  }
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  while (offset < node.size) {
    size_t got = tree.Read(id, offset, buffer);
    if (got == 0) break;
    WriteAll(buffer.data(), got);
    offset += got;
  }
}

}  // namespace

int RunCat(const std::vector<std::string>& args) {
  ImageArgs image;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kCatHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg.size() > 1 && arg[0] == '-') UsageError("cat", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() < 2) UsageError("cat", "expected IMAGE PATH...");
  image.image = positional[0];
  ImageView view = OpenImageFromArgs(image);
  for (size_t i = 1; i < positional.size(); ++i) CatFile(*view.tree, positional[i]);
  return 0;
}

}  // namespace imgmount
