// `imgmount history IMAGE`: the config's history as `docker history` prints it: newest first,
// empty layers included, CREATED relative to now, CREATED BY cut to 45 characters, docker's
// decimal sizes. A line that made a layer shows the layer's uncompressed size when its index is
// in the cache, else its compressed size (descriptor): no layer is read.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/docker_units.h"
#include "tools/image_list.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

// What one printed line says.
struct HistoryLine {
  const LayerSummary* row = nullptr;
  uint64_t size = 0;
  /// "uncompressed" or "compressed" for a line that made a layer, "" otherwise.
  const char* size_kind = "";
};

// Cuts `text` to `max` code points, the last one "…", as docker's stringutils.Ellipsis.
std::string Ellipsis(const std::string& text, size_t max) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (starts.size() <= max) return text;
  return text.substr(0, starts[max - 1]) + "\u2026";
}

std::string CreatedText(const std::string& created, const HistoryOptions& opts) {
  if (created.empty()) return "-";
  std::optional<int64_t> when = ParseRfc3339(created);
  if (!when) return created;
  if (!opts.human) return FormatRfc3339Local(*when);
  return DockerDuration(opts.now - *when) + " ago";
}

std::string CreatedByText(const std::string& created_by, const HistoryOptions& opts) {
  std::string text = created_by;
  std::replace(text.begin(), text.end(), '\t', ' ');
  return opts.no_trunc ? text : Ellipsis(text, 45);
}

void PrintJson(const std::vector<HistoryLine>& lines) {
  rapidjson::StringBuffer buffer;
  PrettyJsonWriter w(buffer);
  w.StartArray();
  for (const HistoryLine& line : lines) {
    const LayerSummary& row = *line.row;
    w.StartObject();
    WriteUintOrNull(w, "layer", row.layer ? std::optional<uint64_t>(*row.layer + 1) : std::nullopt);
    WriteStringOrNull(w, "digest", row.digest);
    WriteStringOrNull(w, "created", row.created);
    WriteStringOrNull(w, "created_by", row.created_by);
    WriteUint(w, "size", line.size);
    WriteStringOrNull(w, "size_kind", line.size_kind);
    WriteStringOrNull(w, "comment", row.comment);
    w.Key("empty_layer");
    w.Bool(!row.layer);
    w.EndObject();
  }
  w.EndArray();
  std::cout << JsonLine(buffer);
}

}  // namespace

int ShowHistory(const ImageHeader& header, const ViewOptions& options, const HistoryOptions& opts) {
  std::vector<LayerSummary> rows = SummarizeLayers(header.image, header.layers_in_view);
  std::vector<HistoryLine> lines;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    HistoryLine line;
    line.row = &*it;
    if (it->layer) {
      std::optional<CachedLayerFacts> facts = CachedLayer(header, *it->layer, options);
      line.size = facts ? facts->uncompressed_size : it->compressed_size;
      line.size_kind = facts ? "uncompressed" : "compressed";
    }
    lines.push_back(line);
  }
  if (opts.json) {
    PrintJson(lines);
    return 0;
  }
  std::vector<std::vector<std::string>> table = {{"CREATED", "CREATED BY", "SIZE", "COMMENT"}};
  for (const HistoryLine& line : lines) {
    table.push_back(
        {CreatedText(line.row->created, opts), CreatedByText(line.row->created_by, opts),
         opts.human ? DockerSize(line.size) : std::to_string(line.size), line.row->comment});
  }
  PrintDockerTable(table);
  return 0;
}

void AddHistoryCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    HistoryOptions opts;
  };
  auto args = std::make_shared<Args>();
  CLI::App* history = cli.AddVerb(
      {"history",
       "show the image's history as docker history does",
       {{"imgmount history [--no-trunc] [--human=false] [--json] [OPTIONS] IMAGE"},
        "Newest first: CREATED, CREATED BY, SIZE, COMMENT; lines that made no layer (ENV,\n"
        "CMD...) show 0B. SIZE is the layer's uncompressed size when its index is in the index\n"
        "cache (after a mount, ls, cat...), else its compressed size as the manifest states it\n"
        "(the JSON says which): no layer is read.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        args->opts.now = static_cast<int64_t>(std::time(nullptr));
        return ShowHistory(OpenImageHeaderFromArgs(image), image.view, args->opts);
      });
  history->add_flag("--no-trunc", args->opts.no_trunc, "do not cut CREATED BY to 45 characters");
  history->add_flag("-H,--human", args->opts.human,
                    "relative times and sizes in kB/MB/GB (default true); --human=false: RFC 3339 "
                    "times and sizes in bytes");
  history->add_flag("--json", args->opts.json,
                    "a JSON array, one object per history line (missing values null)");
  history->add_option("IMAGE", args->image, "the image")->required();
}

}  // namespace imgmount
