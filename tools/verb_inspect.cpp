// `imgmount inspect IMAGE`: what the image is (format, names, platforms), its config, and its
// layers as a table with the history line that made each, like `docker history`. It reads the
// manifests and the config only, as `skopeo inspect` does: layer sizes come from the descriptors,
// and the uncompressed size, entry count and access points only from a layer index that is
// already in the cache (never built here). An archive or layout of several images is listed.
#include <cstdio>
#include <iostream>
#include <memory>

#include "index/view/image_header.h"
#include "layers/base/error.h"
#include "layers/stream/stream_index.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/image_list.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

using Writer = PrettyJsonWriter;

std::string PlatformOrEmpty(const Platform& platform) {
  return platform.os.empty() && platform.architecture.empty() ? "" : platform.ToString();
}

std::string ToJson(const ImageHeader& header, const std::vector<LayerSummary>& layers,
                   const ViewOptions& options) {
  const Image& image = header.image;
  const ImageConfig& c = image.config;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  WriteString(w, "format", image.format);
  WriteString(w, "container", image.container);
  WriteStrings(w, "names", image.names);
  WriteStringOrNull(w, "manifest_digest", image.manifest_digest);
  WriteStringOrNull(w, "config_digest", image.config_digest);
  WriteStringOrNull(w, "created", c.created);
  WriteStringOrNull(w, "author", c.author);
  WriteStringOrNull(w, "platform", PlatformOrEmpty(c.platform));
  WriteStrings(w, "platforms", image.platforms);
  WriteUint(w, "layer_count", image.layers.size());
  WriteUintOrNull(w, "upto", options.upto ? std::optional(options.upto) : std::nullopt);
  w.Key("config");
  w.StartObject();
  WriteStrings(w, "Env", c.env);
  WriteStrings(w, "Cmd", c.cmd);
  WriteStrings(w, "Entrypoint", c.entrypoint);
  WriteStringOrNull(w, "WorkingDir", c.working_dir);
  WriteStringOrNull(w, "User", c.user);
  WriteStrings(w, "ExposedPorts", c.exposed_ports);
  WriteStrings(w, "Volumes", c.volumes);
  w.Key("Labels");
  w.StartObject();
  for (const auto& [key, value] : c.labels) WriteString(w, key.c_str(), value);
  w.EndObject();
  w.EndObject();
  w.Key("history");
  w.StartArray();
  for (const LayerSummary& row : layers) {
    w.StartObject();
    WriteUintOrNull(w, "layer", row.layer ? std::optional(*row.layer + 1) : std::nullopt);
    WriteStringOrNull(w, "digest", row.digest);
    WriteStringOrNull(w, "diff_id", row.diff_id);
    WriteStringOrNull(w, "media_type", row.media_type);
    WriteStringOrNull(w, "codec", row.codec);
    WriteUintOrNull(w, "compressed_size",
                    row.layer ? std::optional(row.compressed_size) : std::nullopt);
    WriteUintOrNull(w, "uncompressed_size", row.uncompressed_size);
    WriteUintOrNull(w, "entries", row.entries);
    w.Key("empty_layer");
    w.Bool(!row.layer);
    WriteStringOrNull(w, "created", row.created);
    WriteStringOrNull(w, "created_by", row.created_by);
    WriteStringOrNull(w, "comment", row.comment);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonLine(buffer);
}

void PrintList(const char* label, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::printf("  %-11s", label);
  for (size_t i = 0; i < values.size(); ++i) std::printf("%s%s", i ? " " : "", values[i].c_str());
  std::printf("\n");
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

template <class T>
std::string OrDash(const std::optional<T>& value, std::string (*show)(uint64_t)) {
  return value ? show(*value) : "-";
}

std::string Decimal(uint64_t value) {
  return std::to_string(value);
}

void PrintText(const ImageHeader& header, const std::vector<LayerSummary>& layers) {
  const Image& image = header.image;
  const ImageConfig& c = image.config;
  std::printf("Format:     %s (%s)\n", image.format.c_str(), image.container.c_str());
  PrintList("Names:", image.names);
  if (!image.manifest_digest.empty())
    std::printf("Manifest:   %s\n", image.manifest_digest.c_str());
  if (!image.config_digest.empty()) std::printf("Config ID:  %s\n", image.config_digest.c_str());
  if (!c.created.empty()) std::printf("Created:    %s\n", c.created.c_str());
  if (!c.author.empty()) std::printf("Author:     %s\n", c.author.c_str());
  std::printf("Platform:   %s", c.platform.ToString().c_str());
  if (image.platforms.size() > 1) {
    std::printf(" (available:");
    for (const auto& p : image.platforms) std::printf(" %s", p.c_str());
    std::printf(")");
  }
  std::printf("\nConfig:\n");
  PrintList("Env:", c.env);
  PrintList("Entrypoint:", c.entrypoint);
  PrintList("Cmd:", c.cmd);
  if (!c.working_dir.empty()) std::printf("  WorkingDir %s\n", c.working_dir.c_str());
  if (!c.user.empty()) std::printf("  User       %s\n", c.user.c_str());
  PrintList("Ports:", c.exposed_ports);
  PrintList("Volumes:", c.volumes);
  for (const auto& [key, value] : c.labels) {
    std::printf("  Label      %s=%s\n", key.c_str(), value.c_str());
  }
  size_t total = image.layers.size();
  if (header.layers_in_view < total) {
    std::printf(
        "Layers 1-%zu of %zu (--upto %zu; bottom first; history lines without a layer are "
        "marked -):\n",
        header.layers_in_view, total, header.layers_in_view);
  } else {
    std::printf("Layers (bottom first; history lines without a layer are marked -):\n");
  }
  std::printf("  %-3s %-19s %-19s %-26s %10s %10s %8s  %s\n", "#", "DIGEST", "DIFF_ID", "CODEC",
              "SIZE", "UNPACKED", "ENTRIES", "CREATED BY");
  for (const LayerSummary& row : layers) {
    std::string created_by = row.created_by.substr(0, 80);
    if (!row.layer) {
      std::printf("  %-3s %-19s %-19s %-26s %10s %10s %8s  %s\n", "-", "", "", "", "", "", "",
                  created_by.c_str());
      continue;
    }
    std::printf("  %-3zu %-19s %-19s %-26s %10s %10s %8s  %s\n", *row.layer + 1,
                OrDash(ShortDigest(row.digest)).c_str(), OrDash(ShortDigest(row.diff_id)).c_str(),
                OrDash(row.codec).c_str(), HumanSize(row.compressed_size).c_str(),
                OrDash(row.uncompressed_size, HumanSize).c_str(),
                OrDash(row.entries, Decimal).c_str(), created_by.c_str());
  }
}

// Fills in the codec (from the blob's magic bytes) and what the cached index knows.
void AddLayerDetails(const ImageHeader& header, const ViewOptions& options,
                     std::vector<LayerSummary>& rows) {
  for (LayerSummary& row : rows) {
    if (!row.layer) continue;
    const LayerBlob& blob = header.image.layers[*row.layer];
    row.codec = CodecName(SniffCodec(*blob.blob));
    std::optional<CachedLayerFacts> facts = CachedLayer(header, *row.layer, options);
    if (!facts) continue;
    row.uncompressed_size = facts->uncompressed_size;
    row.entries = facts->entries;
    if (facts->access_points > 0) {
      size_t points = facts->access_points;
      row.codec +=
          ", " + std::to_string(points) + (points == 1 ? " access point" : " access points");
      // A single zstd frame cannot be entered mid-stream: its points lie in a local copy.
      if (facts->local_copy) row.codec += " (local copy)";
    }
  }
}

}  // namespace

int ShowInspect(const ImageHeader& header, const ViewOptions& options, const InspectOptions& opts) {
  std::vector<LayerSummary> rows = SummarizeLayers(header.image, header.layers_in_view);
  AddLayerDetails(header, options, rows);
  if (opts.json) {
    std::cout << ToJson(header, rows, options);
  } else {
    PrintText(header, rows);
  }
  return 0;
}

int ShowImageChoice(const OpenedContainer& container, const std::vector<ImageListing>& images,
                    const InspectOptions& opts) {
  if (opts.json) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    WriteString(w, "file", container.files->name());
    WriteString(w, "container", container.files->Kind());
    w.Key("images");
    WriteImageList(w, images);
    w.EndObject();
    std::cout << JsonLine(buffer);
    return 0;
  }
  std::printf("%s holds %zu images; choose one with IMAGE:TAG or --image:\n",
              container.files->name().c_str(), CountImageGroups(images));
  PrintImageTable(images, false, true);
  return 0;
}

void AddInspectCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    InspectOptions opts;
  };
  auto args = std::make_shared<Args>();
  CLI::App* inspect = cli.AddVerb(
      {"inspect",
       "show the image's format, names, platforms, config and layers",
       {{"imgmount inspect [--json] [OPTIONS] IMAGE"},
        "Layers: digest, diff_id, media type, codec, compressed size, history line, from the\n"
        "manifests and config only: no layer is read. The uncompressed size, entry count and\n"
        "access points of a layer are shown when its index is already in the index cache (after\n"
        "a mount, ls, cat...), else \"-\" (null in JSON). With --upto N: the layers 1..N and the\n"
        "history lines up to layer N's. An archive or layout holding several images lists them\n"
        "(as `imgmount images`); choose one with IMAGE:TAG or --image.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        OpenedContainer container = OpenContainerFromArgs(image);
        if (image.view.selector.name.empty()) {
          std::vector<ImageListing> images = ListImages(*container.files);
          if (CountImageGroups(images) > 1) return ShowImageChoice(container, images, args->opts);
        }
        return ShowInspect(ReadImageHeader(std::move(container), image.view), image.view,
                           args->opts);
      });
  inspect->add_flag("--json", args->opts.json, "machine-readable output (missing values null)");
  inspect->add_option("IMAGE", args->image, "the image")->required();
}

}  // namespace imgmount
