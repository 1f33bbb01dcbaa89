// `imgmount inspect IMAGE`: what the image is (format, names, platforms), its config, and its
// layers as a table with the history line that made each, like `docker history`.
#include <rapidjson/prettywriter.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string ToJson(const ImageView& view, const std::vector<LayerSummary>& layers) {
  const Image& image = view.image;
  const ImageConfig& c = image.config;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  WriteString(w, "format", image.format);
  WriteString(w, "container", image.container);
  WriteStrings(w, "names", image.names);
  WriteString(w, "manifest_digest", image.manifest_digest);
  WriteString(w, "config_digest", image.config_digest);
  WriteString(w, "platform", c.platform.ToString());
  WriteStrings(w, "platforms", image.platforms);
  w.Key("config");
  w.StartObject();
  WriteStrings(w, "Env", c.env);
  WriteStrings(w, "Cmd", c.cmd);
  WriteStrings(w, "Entrypoint", c.entrypoint);
  WriteString(w, "WorkingDir", c.working_dir);
  WriteString(w, "User", c.user);
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
    if (row.layer) {
      WriteUint(w, "layer", *row.layer + 1);
      WriteString(w, "digest", row.digest);
      WriteString(w, "diff_id", row.diff_id);
      WriteString(w, "media_type", row.media_type);
      WriteString(w, "codec", row.codec);
      WriteUint(w, "compressed_size", row.compressed_size);
      WriteUint(w, "uncompressed_size", row.uncompressed_size);
      WriteUint(w, "entries", row.entries);
    }
    w.Key("empty_layer");
    w.Bool(!row.layer);
    WriteString(w, "created", row.created);
    WriteString(w, "created_by", row.created_by);
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

void PrintText(const ImageView& view, const std::vector<LayerSummary>& layers) {
  const Image& image = view.image;
  const ImageConfig& c = image.config;
  std::printf("Format:     %s (%s)\n", image.format.c_str(), image.container.c_str());
  PrintList("Names:", image.names);
  if (!image.manifest_digest.empty())
    std::printf("Manifest:   %s\n", image.manifest_digest.c_str());
  if (!image.config_digest.empty()) std::printf("Config ID:  %s\n", image.config_digest.c_str());
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
  std::printf("Layers (bottom first; history lines without a layer are marked -):\n");
  std::printf("  %-3s %-19s %-19s %-26s %10s %10s %8s  %s\n", "#", "DIGEST", "DIFF_ID", "CODEC",
              "SIZE", "UNPACKED", "ENTRIES", "CREATED BY");
  for (const LayerSummary& row : layers) {
    std::string created_by = row.created_by.substr(0, 80);
    if (!row.layer) {
      std::printf("  %-3s %-19s %-19s %-26s %10s %10s %8s  %s\n", "-", "", "", "", "", "", "",
                  created_by.c_str());
      continue;
    }
    std::printf("  %-3zu %-19s %-19s %-26s %10s %10s %8llu  %s\n", *row.layer + 1,
                ShortDigest(row.digest).c_str(), ShortDigest(row.diff_id).c_str(),
                row.codec.c_str(), HumanSize(row.compressed_size).c_str(),
                HumanSize(row.uncompressed_size).c_str(),
                static_cast<unsigned long long>(row.entries), created_by.c_str());
  }
}

}  // namespace

void AddInspectCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* inspect = cli.AddVerb(
      {"inspect",
       "show the image's format, names, platforms, config and layers",
       {{"imgmount inspect [--json] [OPTIONS] IMAGE"},
        "Layers: digest, diff_id, media type, codec and frame layout, compressed and uncompressed\n"
        "size, entries, history line.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        ImageView view = OpenImageFromArgs(image);
        std::vector<LayerSummary> rows = SummarizeLayers(view);
        if (args->json) {
          std::cout << ToJson(view, rows);
        } else {
          PrintText(view, rows);
        }
        return 0;
      });
  inspect->add_flag("--json", args->json, "machine-readable output");
  inspect->add_option("IMAGE", args->image, "the image")->required();
}

}  // namespace imgmount
