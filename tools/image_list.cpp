#include "tools/image_list.h"

#include <cstdio>
#include <set>

#include "layers/base/error.h"
#include "tools/docker_units.h"
#include "tools/json_output.h"

namespace imgmount {
namespace {

std::string Cut(const std::string& digest, bool no_trunc) {
  if (digest.empty()) return "-";
  return no_trunc ? digest : ShortDigest(digest);
}

std::string PlatformText(const ImageListing& image) {
  return image.platform ? image.platform->ToString() : "-";
}

}  // namespace

size_t CountImageGroups(const std::vector<ImageListing>& images) {
  std::set<std::string> groups;
  for (const ImageListing& image : images) groups.insert(image.group);
  return groups.size();
}

void PrintImageTable(const std::vector<ImageListing>& images, bool no_trunc, bool human) {
  std::vector<std::vector<std::string>> table = {
      {"NAME", "PLATFORM", "DIGEST", "IMAGE ID", "LAYERS", "SIZE", ""}};
  for (const ImageListing& image : images) {
    std::vector<std::string> names = image.names;
    if (names.empty()) names.push_back("<none>");
    std::string size = "-";
    if (image.size) size = human ? DockerSize(*image.size) : std::to_string(*image.size);
    std::string layers = image.unavailable.empty() ? std::to_string(image.layers) : "-";
    for (const std::string& name : names) {
      table.push_back({name, PlatformText(image), Cut(image.manifest_digest, no_trunc),
                       Cut(image.config_digest, no_trunc), layers, size, image.unavailable});
    }
  }
  PrintDockerTable(table);
}

void WriteImageList(PrettyJsonWriter& w, const std::vector<ImageListing>& images) {
  w.StartArray();
  for (const ImageListing& image : images) {
    w.StartObject();
    WriteStrings(w, "names", image.names);
    WriteStringOrNull(w, "platform", image.platform ? image.platform->ToString() : "");
    WriteStringOrNull(w, "manifest_digest", image.manifest_digest);
    WriteStringOrNull(w, "config_digest", image.config_digest);
    WriteUintOrNull(
        w, "layers",
        image.unavailable.empty() ? std::optional<uint64_t>(image.layers) : std::nullopt);
    WriteUintOrNull(w, "size", image.size);
    WriteStringOrNull(w, "unavailable", image.unavailable);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace imgmount
