// `imgmount which IMAGE PATH`: which layer supplies a path, and what the other layers did to it.
#include <cstdio>
#include <iostream>

#include "index/path_history.h"
#include "layers/error.h"
#include "layers/tar_path.h"
#include "tools/cli_common.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kWhichHelp =
    "usage: imgmount which [OPTIONS] IMAGE PATH\n"
    "Name the layer that supplies PATH (symlinks are not followed) and list what every layer\n"
    "did to it: added or replaced it, deleted it, or hid it by changing a parent.\n"
    "Exits 0 if PATH is in the image, 3 if it is not.\n";

std::string Describe(const PathEvent& e) {
  switch (e.kind) {
    case PathEvent::Kind::kAdded:
      if (e.type == MemberType::kHardlink) return "adds a hardlink to /" + e.detail;
      return std::string("adds a ") + MemberTypeName(e.type);
    case PathEvent::Kind::kWhiteout:
      return "deletes it (whiteout)";
    case PathEvent::Kind::kParentDeleted:
      return "deletes its parent /" + e.detail + " (whiteout)";
    case PathEvent::Kind::kParentOpaque:
      return "hides the lower contents of /" + e.detail + " (opaque directory)";
    case PathEvent::Kind::kParentReplaced:
      return "replaces its parent /" + e.detail + " with a non-directory";
  }
  return "?";
}

// The event that supplies the path in the end: per layer, deletions act on the layers below
// and the layer's own entry comes after them.
const PathEvent* Supplier(const std::vector<PathEvent>& events) {
  const PathEvent* current = nullptr;
  for (size_t i = 0; i < events.size();) {
    uint32_t layer = events[i].layer;
    const PathEvent* added = nullptr;
    bool deleted = false;
    for (; i < events.size() && events[i].layer == layer; ++i) {
      if (events[i].kind == PathEvent::Kind::kAdded) {
        added = &events[i];
      } else {
        deleted = true;
      }
    }
    if (deleted) current = nullptr;
    if (added) current = added;
  }
  return current;
}

}  // namespace

int RunWhich(const std::vector<std::string>& args) {
  ImageArgs image;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kWhichHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg.size() > 1 && arg[0] == '-') UsageError("which", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() != 2) UsageError("which", "expected IMAGE PATH");
  image.image = positional[0];
  auto path = NormalizeMemberPath(positional[1]);
  if (!path) UsageError("which", "invalid path " + positional[1]);
  ImageView view = OpenImageFromArgs(image);
  std::vector<PathEvent> events = PathHistory(view.layers, *path);
  std::vector<LayerSummary> rows = SummarizeLayers(view);
  auto layer_label = [&](uint32_t layer) {
    std::string label = "layer " + std::to_string(layer + 1);
    for (const LayerSummary& row : rows) {
      if (row.layer == layer) {
        label += " (" + ShortDigest(row.digest.empty() ? row.diff_id : row.digest) + ")";
        if (!row.created_by.empty()) label += " \"" + row.created_by.substr(0, 60) + "\"";
      }
    }
    return label;
  };
  bool present = view.tree->Resolve(*path).has_value();
  const PathEvent* supplier = present ? Supplier(events) : nullptr;
  std::string shown = "/" + *path;
  if (supplier) {
    std::printf("%s: %s from %s\n", shown.c_str(), MemberTypeName(supplier->type),
                layer_label(supplier->layer).c_str());
  } else if (present) {
    std::printf("%s: directory implied by the paths below it\n", shown.c_str());
  } else {
    std::printf("%s: not in the image\n", shown.c_str());
  }
  for (const PathEvent& e : events) {
    std::printf("  %s: %s%s\n", layer_label(e.layer).c_str(), Describe(e).c_str(),
                &e == supplier ? "  <- supplies it" : "");
  }
  return present ? 0 : ExitCodeFor(ErrorKind::kNotFound);
}

}  // namespace imgmount
