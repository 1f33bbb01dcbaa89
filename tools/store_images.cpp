#include "tools/store_images.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <iostream>

#include "layers/base/error.h"
#include "tools/docker_units.h"
#include "tools/json_output.h"

namespace imgmount {

int ShowStoreImages(const ContainerdAccess& access, bool all, const ImagesOptions& opts) {
  std::string root = ContainerdRoot(access);
  std::vector<StoreImage> images =
      ReadStoreImages(root, all ? "" : ContainerdNamespace(access, root));
  std::stable_sort(images.begin(), images.end(), [](const StoreImage& a, const StoreImage& b) {
    return a.ns != b.ns ? a.ns < b.ns : a.name < b.name;
  });
  if (opts.json) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const StoreImage& image : images) {
      w.StartObject();
      WriteString(w, "namespace", image.ns);
      WriteString(w, "name", image.name);
      WriteString(w, "digest", image.digest);
      WriteString(w, "media_type", image.media_type);
      WriteUint(w, "size", image.size);
      w.EndObject();
    }
    w.EndArray();
    std::cout << JsonLine(buffer);
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"NAME", "DIGEST", "MEDIA TYPE", "SIZE"};
  if (all) header.insert(header.begin(), "NAMESPACE");
  table.push_back(header);
  for (const StoreImage& image : images) {
    std::vector<std::string> row = {
        image.name, opts.no_trunc ? image.digest : ShortDigest(image.digest), image.media_type,
        opts.human ? DockerSize(image.size) : std::to_string(image.size)};
    if (all) row.insert(row.begin(), image.ns);
    table.push_back(row);
  }
  PrintDockerTable(table);
  return 0;
}

}  // namespace imgmount
