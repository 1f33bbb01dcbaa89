// `imgmount cat IMAGE PATH...`: files of the image's root filesystem to standard output.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

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

void AddCatCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    std::vector<std::string> paths;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cat =
      cli.AddVerb({"cat",
                   "write files of the image's root filesystem to standard output",
                   {{"imgmount cat [OPTIONS] IMAGE PATH..."},
                    "Symlinks inside the image are followed as a container would (at most 40).\n"
                    "A PATH that begins with - goes after --: imgmount cat IMAGE -- -x",
                    GlobalUse::kImage}},
                  [&cli, args] {
                    ImageArgs image = cli.ImageOptions(args->image);
                    ImageView view = OpenImageFromArgs(image);
                    for (const std::string& path : args->paths) CatFile(*view.tree, path);
                    return 0;
                  });
  cat->add_option("IMAGE", args->image, "the image")->required();
  cat->add_option("PATH", args->paths, "files to write")->required();
}

}  // namespace imgmount
