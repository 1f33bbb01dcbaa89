// `imgmount images IMAGE_FILE`: every image, tag and platform of an archive or layout with its
// manifest digest, config digest (image ID), layer count and size, as `docker images` and
// `crane ls` list them. Reads the index and the manifests (and the configs of images whose
// platform the index does not state), no layer.
#include <cstdio>
#include <iostream>

#include "tools/cli_common.h"
#include "tools/image_list.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kImagesHelp =
    "usage: imgmount images [--json] [--no-trunc] [--human=false] IMAGE_FILE\n"
    "List every image, tag and platform of an archive or layout: NAME, PLATFORM, DIGEST (of the\n"
    "manifest; - for a docker save without one), IMAGE ID (the config digest), LAYERS and SIZE\n"
    "(config and layer blobs as stored, compressed: what a pull would fetch). An image whose\n"
    "manifest or blobs are not in the file says so.\n"
    "  --json            a JSON array, one object per image and platform (missing values null)\n"
    "  --no-trunc        whole digests instead of their first 12 hex digits\n"
    "  -H, --human=BOOL  sizes in kB/MB/GB (default true); false: in bytes\n"
    "  --cache-dir DIR, --no-cache, -q   as for the other commands\n";

}  // namespace

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

int RunImages(const std::vector<std::string>& args) {
  ImageArgs image;
  ImagesOptions opts;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kImagesHelp;
      return 0;
    }
    if (arg == "--json") {
      opts.json = true;
    } else if (arg == "--no-trunc") {
      opts.no_trunc = true;
    } else if (arg == "-H" || arg == "--human" || arg == "--human=true" || arg == "-H=true") {
      opts.human = true;
    } else if (arg == "--human=false" || arg == "-H=false") {
      opts.human = false;
    } else if (arg == "-q" || arg == "--quiet" || arg == "--no-cache" ||
               arg.starts_with("--cache-dir")) {
      TakeImageOption(args, i, image);
    } else if (arg.starts_with("-")) {
      UsageError("images", "unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1) UsageError("images", "expected IMAGE_FILE");
  image.image = positional[0];
  std::string file = PrepareImageArgs(image);
  return ShowImages(OpenContainerOnly(file, image.view), opts);
}

}  // namespace imgmount
