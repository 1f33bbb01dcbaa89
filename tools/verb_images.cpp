// `imgmount images IMAGE_FILE`: every image, tag and platform of an archive or layout with its
// manifest digest, config digest (image ID), layer count and size, as `docker images` and
// `crane ls` list them. Reads the index and the manifests (and the configs of images whose
// platform the index does not state), no layer.
#include <cstdio>
#include <iostream>
#include <memory>

#include "layers/image/containerd_files.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/image_list.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/store_images.h"
#include "tools/verbs.h"

namespace imgmount {
int ShowImages(const OpenedContainer& container, const ImagesOptions& opts) {
  std::vector<ImageListing> images = ListImages(*container.files);
  if (opts.json) {
    rapidjson::StringBuffer buffer;
    PrettyJsonWriter w(buffer);
    WriteImageList(w, images);
    std::cout << JsonLine(buffer);
  } else {
    PrintImageTable(images, opts.no_trunc, opts.human);
  }
  return 0;
}

void AddImagesCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    ImagesOptions opts;
    bool all = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* images = cli.AddVerb(
      {"images",
       "list every image, tag and platform of an archive or layout, or containerd's images",
       {{"imgmount images [--json] [--no-trunc] [--human=false] IMAGE_FILE",
         "imgmount images [--json] [--no-trunc] [--all] [--namespace NS] containerd://"},
        "NAME, PLATFORM, DIGEST (of the manifest; - for a docker save without one), IMAGE ID\n"
        "(the config digest), LAYERS and SIZE (config and layer blobs as stored, compressed:\n"
        "what a pull would fetch). An image whose manifest or blobs are not in the file says so.\n"
        "With containerd:// alone: the images of containerd's namespace (of every namespace\n"
        "with --all): NAME, DIGEST, MEDIA TYPE and SIZE of the target, as ctr images ls.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        if (args->image == kContainerdScheme) {
          return ShowStoreImages(image.view.containerd, args->all, args->opts);
        }
        if (args->all) UsageError("images", "--all goes only with containerd://");
        return ShowImages(OpenContainerFromArgs(image), args->opts);
      });
  images->add_flag("--json", args->opts.json,
                   "a JSON array, one object per image and platform (missing values null)");
  images->add_flag("--no-trunc", args->opts.no_trunc,
                   "whole digests instead of their first 12 hex digits");
  images->add_flag("-H,--human", args->opts.human,
                   "sizes in kB/MB/GB (default true); --human=false: in bytes");
  images->add_flag("--all", args->all, "with containerd://: the images of every namespace");
  images->add_option("IMAGE_FILE", args->image, "the archive or layout, or containerd://")
      ->required();
}

}  // namespace imgmount
