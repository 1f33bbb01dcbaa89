// `imgmount which IMAGE PATH`: which layer supplies a path, and what the other layers did to it,
// as text or as one JSON document.
#include <cstdio>
#include <iostream>
#include <memory>

#include "index/union/path_history.h"
#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/path_messages.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

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

const char* ActionName(PathEvent::Kind kind) {
  switch (kind) {
    case PathEvent::Kind::kAdded:
      return "added";
    case PathEvent::Kind::kWhiteout:
      return "whiteout";
    case PathEvent::Kind::kParentDeleted:
      return "parent_deleted";
    case PathEvent::Kind::kParentOpaque:
      return "parent_opaque";
    case PathEvent::Kind::kParentReplaced:
      return "parent_replaced";
  }
  return "?";
}

// What which found, for both forms of output.
struct WhichReport {
  std::string requested;
  std::vector<FollowedLink> via;
  std::string path;
  bool present = false;
  const PathEvent* supplier = nullptr;
  std::vector<PathEvent> events;
  std::vector<LayerSummary> rows;
};

const LayerSummary* RowOf(const WhichReport& r, uint32_t layer) {
  for (const LayerSummary& row : r.rows) {
    if (row.layer == layer) return &row;
  }
  return nullptr;
}

void WriteEvent(JsonWriter& w, const WhichReport& r, const PathEvent& e) {
  const LayerSummary* row = RowOf(r, e.layer);
  w.StartObject();
  WriteUint(w, "layer", e.layer + 1);
  WriteStringOrNull(w, "digest", row ? (row->digest.empty() ? row->diff_id : row->digest) : "");
  WriteStringOrNull(w, "created_by", row ? row->created_by : "");
  WriteString(w, "action", ActionName(e.kind));
  WriteStringOrNull(w, "type", e.kind == PathEvent::Kind::kAdded ? MemberTypeName(e.type) : "");
  WriteStringOrNull(w, "detail", e.detail.empty() ? "" : "/" + e.detail);
  w.Key("supplies");
  w.Bool(&e == r.supplier);
  w.EndObject();
}

std::string ToJson(const WhichReport& r) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteString(w, "path", r.path);
  w.Key("present");
  w.Bool(r.present);
  w.Key("implied");
  w.Bool(r.present && !r.supplier);
  w.Key("supplier");
  if (r.supplier) {
    WriteEvent(w, r, *r.supplier);
  } else {
    w.Null();
  }
  w.Key("events");
  w.StartArray();
  for (const PathEvent& e : r.events) WriteEvent(w, r, e);
  w.EndArray();
  WriteString(w, "requested", r.requested);
  w.Key("via");
  w.StartArray();
  for (const FollowedLink& link : r.via) {
    w.StartObject();
    WriteString(w, "link", link.path);
    WriteString(w, "target", link.target);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonLine(buffer);
}

void PrintText(const WhichReport& r) {
  auto layer_label = [&](uint32_t layer) {
    std::string label = "layer " + std::to_string(layer + 1);
    if (const LayerSummary* row = RowOf(r, layer)) {
      label += " (" + ShortDigest(row->digest.empty() ? row->diff_id : row->digest) + ")";
      if (!row->created_by.empty()) label += " \"" + row->created_by.substr(0, 60) + "\"";
    }
    return label;
  };
  if (!r.via.empty()) {
    std::string via;
    for (const FollowedLink& link : r.via) {
      via += (via.empty() ? "" : ", ") + link.path + " -> " + link.target;
    }
    std::printf("%s: resolved to %s via %s\n", r.requested.c_str(), r.path.c_str(), via.c_str());
  }
  if (r.supplier) {
    std::printf("%s: %s from %s\n", r.path.c_str(), MemberTypeName(r.supplier->type),
                layer_label(r.supplier->layer).c_str());
  } else if (r.present) {
    std::printf("%s: directory implied by the paths below it\n", r.path.c_str());
  } else {
    std::printf("%s: not in the image\n", r.path.c_str());
  }
  for (const PathEvent& e : r.events) {
    std::printf("  %s: %s%s\n", layer_label(e.layer).c_str(), Describe(e).c_str(),
                &e == r.supplier ? "  <- supplies it" : "");
  }
}

// Reports on `shown` of the image `image` names; exit code 0 if present, 3 if not.
int Which(ImageArgs image, const std::string& shown, bool json) {
  if (!CleanMemberPath(shown)) UsageError("which", "invalid path " + shown);
  ImageView view = OpenImageFromArgs(image);
  WhichReport report;
  report.requested = ImagePath(shown);
  // Its directories resolved as the kernel would, itself not followed (a missing part and
  // what follows it joined lexically, as realpath -m does).
  ResolvedPath resolved;
  try {
    resolved = ResolveTraced(*view.tree, shown, false, false);
  } catch (const Error& e) {
    ThrowPathError("which", image.image, shown, e);  // too many levels of links
  }
  report.via = std::move(resolved.links);
  report.path = resolved.path;
  std::string path = report.path.substr(1);
  report.events = PathHistory(view.layers, path);
  report.rows = SummarizeLayers(view.image, view.layers.size());
  report.present = view.tree->Resolve(path).has_value();
  report.supplier = report.present ? Supplier(report.events) : nullptr;
  if (json) {
    std::cout << ToJson(report);
  } else {
    PrintText(report);
  }
  return report.present ? 0 : ExitCodeFor(ErrorKind::kNotFound);
}

}  // namespace

void AddWhichCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    std::string path;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* which = cli.AddVerb(
      {"which",
       "name the layer that supplies a path and what every layer did to it",
       {{"imgmount which [--json] [OPTIONS] IMAGE PATH"},
        "Lists what every layer did to PATH: added or replaced it, deleted it, or hid it by\n"
        "changing a parent. Symlinks on the way to PATH are followed as the kernel would inside\n"
        "the image (and named); PATH itself, if a symlink, is not.\n"
        "Exits 0 if PATH is in the image, 3 if it is not.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        return Which(image, args->path, args->json);
      });
  which->add_flag(
      "--json", args->json,
      "one JSON object: path, present, implied (a directory only implied by the paths "
      "below it), supplier (the supplying event, or null) and events, each with layer "
      "(1 = bottom), digest, created_by, action (added, whiteout, parent_deleted, "
      "parent_opaque, parent_replaced), type, detail and supplies; then requested (PATH as "
      "given) and via (the symlinks followed: link, target)");
  which->add_option("IMAGE", args->image, "the image")->required();
  which->add_option("PATH", args->path, "the path in the image")->required();
}

}  // namespace imgmount
