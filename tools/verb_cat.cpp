#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/path_messages.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kCatHelp =
    "usage: imgmount cat [OPTIONS] IMAGE PATH...\n"
    "Write files of the image's root filesystem to standard output, without mounting.\n"
    "Symlinks inside the image are followed as a container would (at most 40).\n"
    "Like cat(1), a file that cannot be read is reported and the others still written;\n"
    "the exit status is then 1.\n";

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

const char* KindOfNonRegular(MemberType type) {
  switch (type) {
    case MemberType::kCharDevice:
      return "a character device";
    case MemberType::kBlockDevice:
      return "a block device";
    case MemberType::kFifo:
      return "a fifo";
    default:
      return "not a regular file";
  }
}

// Writes the file at `path` to standard output, as cat(1) does one operand: returns false after
// saying on stderr why it could not (a failure to write to standard output throws instead).
bool CatFile(const UnionTree& tree, const std::string& image, const std::string& path) {
  auto failed = [&](const Error& e) {
    PrintPathError(PathMessage("cat", image, path, e));
    return false;
  };
  uint32_t id = 0;
  try {
    id = ResolveFollowing(tree, path, true);
  } catch (const Error& e) {
    return failed(e);
  }
  const UnionInode& node = tree.inode(id);
  if (node.type == MemberType::kDirectory) {
    return failed(Error(ErrorKind::kNotFound, EISDIR, path));
  }
  if (node.type != MemberType::kRegular) {
    PrintPathError(PathMessage("cat", image, path, ENXIO, KindOfNonRegular(node.type)));
    return false;
  }
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  while (offset < node.size) {
    size_t got = 0;
    try {
      got = tree.Read(id, offset, buffer);
    } catch (const Error& e) {
      return failed(e);
    }
    if (got == 0) break;
    WriteAll(buffer.data(), got);
    offset += got;
  }
  return true;
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
  // Like cat(1): every file that can be is written; any that cannot makes the exit status 1.
  bool all = true;
  for (size_t i = 1; i < positional.size(); ++i) {
    all = CatFile(*view.tree, positional[0], positional[i]) && all;
  }
  return all ? 0 : 1;
}

}  // namespace imgmount
