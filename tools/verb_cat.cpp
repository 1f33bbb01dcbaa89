// `imgmount cat IMAGE PATH...`: files of the image's root filesystem to standard output.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/path_messages.h"
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
                    "Like cat(1), a file that cannot be read is reported and the others still\n"
                    "written; the exit status is then 1.\n"
                    "A PATH that begins with - goes after --: imgmount cat IMAGE -- -x",
                    GlobalUse::kImage}},
                  [&cli, args] {
                    ImageArgs image = cli.ImageOptions(args->image);
                    ImageView view = OpenImageFromArgs(image);
                    // Like cat(1): every file that can be is written; any that cannot makes the
                    // exit status 1.
                    bool all = true;
                    for (const std::string& path : args->paths) {
                      all = CatFile(*view.tree, args->image, path) && all;
                    }
                    return all ? 0 : 1;
                  });
  cat->add_option("IMAGE", args->image, "the image")->required();
  cat->add_option("PATH", args->paths, "files to write")->required();
}

}  // namespace imgmount
