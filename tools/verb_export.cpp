// `imgmount export IMAGE OUT.tar`: the flattened root filesystem as one tar, like `docker export`:
// every attribute kept (mode, owner, nanosecond mtime, xattrs, devices, sparse holes) and
// hardlinked names written as hardlinks to the first name of their inode. The tar itself is
// written by layers/tar/tar_writer.h.
#include <map>
#include <memory>
#include <vector>

#include "layers/base/error.h"
#include "layers/tar/tar_writer.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

// The tar type flag of a member type (a hardlink's is decided by the exporter).
char TypeflagOf(MemberType type) {
  switch (type) {
    case MemberType::kRegular:
    case MemberType::kHardlink:
      return '0';
    case MemberType::kDirectory:
      return '5';
    case MemberType::kSymlink:
      return '2';
    case MemberType::kCharDevice:
      return '3';
    case MemberType::kBlockDevice:
      return '4';
    case MemberType::kFifo:
      return '6';
  }
  return '0';
}

class TarExporter {
 public:
  TarExporter(const UnionTree& tree, const std::string& out) : tree_(tree), writer_(out) {}

  void Run() {
    // Depth first, each directory before its entries; an explicit stack keeps deep trees safe.
    std::vector<std::pair<uint32_t, std::string>> stack{{UnionTree::kRoot, "."}};
    while (!stack.empty()) {
      auto [id, path] = std::move(stack.back());
      stack.pop_back();
      Write(id, path);
      auto children = tree_.children(id);
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        stack.emplace_back(it->inode, path + "/" + std::string(tree_.name(*it)));
      }
    }
    writer_.Finish();
  }

 private:
  void Write(uint32_t id, const std::string& path) {
    const UnionInode& node = tree_.inode(id);
    std::optional<TarMember> member = tree_.member(id);
    TarHeader header;
    header.name = path;
    header.typeflag = TypeflagOf(node.type);
    header.mode = node.mode & 07777;
    header.uid = node.uid;
    header.gid = node.gid;
    header.mtime_sec = node.mtime_sec;
    header.mtime_nsec = node.mtime_nsec;
    if (member) {
      for (const auto& [name, value] : member->xattrs) header.xattrs.emplace_back(name, value);
      if (node.type == MemberType::kSymlink) header.linkname = member->link_target;
      header.dev_major = member->dev_major;
      header.dev_minor = member->dev_minor;
    }
    bool data = node.type == MemberType::kRegular;
    if (data && node.nlink > 1) {
      auto [it, first] = first_names_.try_emplace(id, path);
      if (!first) {
        header.typeflag = '1';
        header.linkname = it->second;
        data = false;
      }
    }
    if (data) {
      header.size = static_cast<int64_t>(node.size);
      if (member && member->is_sparse) {
        header.sparse = true;
        for (const SparseExtent& run : member->sparse) {
          header.sparse_runs.push_back({run.offset, run.length});
        }
      }
    }
    writer_.WriteHeader(header);
    if (data) WriteData(id, node);
  }

  // Writes a file's logical content.
  void WriteData(uint32_t id, const UnionInode& node) {
    uint64_t done = 0;
    while (done < node.size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), node.size - done));
      size_t got = tree_.Read(id, done, std::span(buffer_.data(), want));
      if (got == 0) break;
      writer_.WriteData(std::span(buffer_.data(), got));
      done += got;
    }
  }

  const UnionTree& tree_;
  TarWriter writer_;
  std::map<uint32_t, std::string> first_names_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(1 << 20);
};

}  // namespace

void AddExportCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* verb =
      cli.AddVerb({"export",
                   "write the image's root filesystem as one pax tar, like docker export",
                   {{"imgmount export [OPTIONS] IMAGE OUT.tar"},
                    "OUT.tar '-' writes to standard output.",
                    GlobalUse::kImage}},
                  [&cli, args] {
                    ImageArgs image = cli.ImageOptions(args->image);
                    ImageView view = OpenImageFromArgs(image);
                    TarExporter exporter(*view.tree, args->out);
                    exporter.Run();
                    return 0;
                  });
  verb->add_option("IMAGE", args->image, "the image")->required();
  verb->add_option("OUT.tar", args->out, "the tar to write, - for standard output")->required();
}

}  // namespace imgmount
