// `imgmount [mount] [OPTIONS] IMAGE MOUNTPOINT`: the mount's command line -- its own options
// (--wait, -f, -d, -o) next to the global ones -- handed to Mount (tools/mount_command.h).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "layers/base/decimal.h"
#include "layers/base/error.h"
#include "tools/command_line.h"
#include "tools/mount_command.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

uint64_t ParseCacheMegabytes(const std::string& text) {
  std::optional<uint64_t> mb = ParseDecimal(text);
  if (!mb || *mb == 0 || *mb > (1u << 20)) {
    UsageError("mount", "cache_mb wants a size in MiB between 1 and 1048576, not \"" + text + "\"");
  }
  return *mb;
}

// Adds the options of one -o list ("allow_other,cache_mb=8") to `out`.
void AddMountOptionList(const std::string& list, MountArgs& out) {
  if (list.empty()) UsageError("mount", "-o needs options");
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string option = list.substr(start, comma - start);
    if (option.starts_with("cache_mb=")) {
      out.image.view.decode.cache_bytes = ParseCacheMegabytes(option.substr(9)) << 20;
    } else if (!option.empty() && option != "ro") {
      out.mount.fuse_options.push_back(option);
    }
    start = comma + 1;
  }
}

}  // namespace

void AddMountCommand(CommandLine& cli) {
  struct Args {
    MountArgs parsed;
    bool debug = false;
    std::vector<std::string> option_lists;
  };
  auto args = std::make_shared<Args>();
  CLI::App* mount = cli.AddVerb(
      {"mount",
       "mount an image read-only (the same as imgmount IMAGE MOUNTPOINT)",
       {{"imgmount [mount] [OPTIONS] IMAGE[:TAG] MOUNTPOINT", "imgmount -u [-z] MOUNTPOINT"},
        "Mounts a container image read-only as the root filesystem a container started from it\n"
        "would see. IMAGE is a docker save tar, a docker-archive, an OCI layout directory or an\n"
        "OCI archive; layers may be uncompressed, gzip or zstd. Returns as soon as the mount is\n"
        "usable and indexes the layers in the background (top layers first); on a terminal it\n"
        "shows the indexing progress first (Ctrl-C stops watching; the mount stays), and exits\n"
        "with a failing layer's error at once (the mount stays: paths that need the layer fail\n"
        "with EIO). Later failures go to syslog; `imgmount status` tells each mount's state.\n"
        "imgmount -u [-z] MOUNTPOINT unmounts (-z: lazily; see imgmount -u --help).",
        GlobalUse::kImage}},
      [&cli, args] {
        MountArgs& parsed = args->parsed;
        parsed.image = cli.ImageOptions(parsed.image.image);
        if (args->debug) parsed.foreground = parsed.mount.debug = true;
        for (const std::string& list : args->option_lists) AddMountOptionList(list, parsed);
        return Mount(parsed);
      });
  mount->add_flag("--wait", args->parsed.wait,
                  "return only once every layer is indexed (a compressed layer's digests are "
                  "verified on the way; an uncompressed one's headers alone are read: `imgmount "
                  "verify` checks every digest); if one fails, unmount and exit with its error "
                  "(as the verbs do)");
  mount->add_flag("-f,--foreground", args->parsed.foreground, "stay in the foreground");
  mount->add_flag("-d,--debug", args->debug, "foreground with FUSE debug output");
  mount
      ->add_option("-o", args->option_lists,
                   "FUSE mount options (allow_other, allow_root, ...) and imgmount's: cache_mb=N "
                   "memory for decoded spans of compressed layers (default 64); may be repeated")
      ->option_text("OPT[,OPT]")
      ->allow_extra_args(false);
  mount->add_option("IMAGE", args->parsed.image.image, "the image")->required();
  mount->add_option("MOUNTPOINT", args->parsed.mount.mountpoint, "an empty directory")->required();
}

}  // namespace imgmount
