// The pre-OCI docker layouts: `docker save` of Docker <= 24 and skopeo's docker-archive.
#include <map>
#include <stdexcept>

#include "tests/support/image_formats.h"

namespace imgmount::fixture {
namespace {

// The first platform of an image, which is what single-platform formats write.
const PlatformImage& FirstPlatform(const ImageSpec& image) {
  if (image.platforms.empty()) throw std::invalid_argument("image without a platform");
  return image.platforms.front();
}

// The legacy layer directories of one image.
struct LegacyChain {
  std::vector<std::string> layer_paths;  // "<id>/layer.tar", bottom first
  std::string top_id;                    // id of the top layer
};

// Adds the legacy <id>/{layer.tar,json,VERSION} directories of one image. A layer whose diff_id
// was stored before becomes a symlink to the earlier file; with `archive_layers` (skopeo style)
// every layer.tar is a symlink to "../<hex>.tar" instead.
LegacyChain AddLegacyDirs(Layout& layout, const PreparedImage& image,
                          std::map<std::string, std::string>& stored_by_diff_id,
                          const std::vector<std::string>* archive_layers) {
  LegacyChain chain;
  std::string parent;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const LayerBlob& layer = image.layers[i];
    const bool top = i + 1 == image.layers.size();
    const std::string id = Sha256Hex(parent + "\n" + layer.diff_id +
                                     (top ? "\n" + image.config_descriptor.digest : ""));
    const std::string path = id + "/layer.tar";
    if (archive_layers) {
      layout.AddSymlink(path, "../" + (*archive_layers)[i]);
    } else if (auto it = stored_by_diff_id.find(layer.diff_id); it != stored_by_diff_id.end()) {
      if (it->second != path) layout.AddSymlink(path, "../" + it->second);
    } else {
      layout.AddFile(path, layer.data);
      stored_by_diff_id[layer.diff_id] = path;
    }
    layout.AddFile(id + "/json", V1LayerJson(id, parent, top ? &image.source->config : nullptr));
    layout.AddFile(id + "/VERSION", "1.0");
    chain.layer_paths.push_back(path);
    chain.top_id = id;
    parent = id;
  }
  return chain;
}

}  // namespace

Layout DockerLegacyLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  Layout layout;
  std::map<std::string, std::string> stored;
  std::vector<DockerManifestEntry> entries;
  std::vector<std::pair<std::string, std::string>> repositories;
  for (const ImageSpec& spec : images) {
    const PreparedImage image = PrepareImage(FirstPlatform(spec), options, DockerMediaTypes());
    const LegacyChain chain = AddLegacyDirs(layout, image, stored, nullptr);
    const std::string config_path = DigestHex(image.config_descriptor.digest) + ".json";
    layout.AddFile(config_path, image.config);
    entries.push_back({config_path, spec.tags, chain.layer_paths});
    for (const std::string& tag : spec.tags) repositories.emplace_back(tag, chain.top_id);
  }
  layout.AddFile("manifest.json", DockerManifestJson(entries));
  if (!repositories.empty()) layout.AddFile("repositories", RepositoriesJson(repositories));
  layout.SortByName();
  return layout;
}

Layout DockerArchiveLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  Layout layout;
  std::map<std::string, std::string> stored;
  std::vector<DockerManifestEntry> entries;
  std::vector<std::pair<std::string, std::string>> repositories;
  std::vector<PreparedImage> prepared;
  prepared.reserve(images.size());
  for (const ImageSpec& spec : images) {
    prepared.push_back(PrepareImage(FirstPlatform(spec), options, DockerMediaTypes()));
    const PreparedImage& image = prepared.back();
    std::vector<std::string> layer_paths;
    for (const LayerBlob& layer : image.layers) {
      layer_paths.push_back(DigestHex(layer.descriptor.digest) + ".tar");
      layout.AddFile(layer_paths.back(), layer.data);
    }
    const std::string config_path = DigestHex(image.config_descriptor.digest) + ".json";
    layout.AddFile(config_path, image.config);
    entries.push_back({config_path, spec.tags, layer_paths});
    if (options.docker_archive_legacy) {
      const LegacyChain chain = AddLegacyDirs(layout, image, stored, &layer_paths);
      for (const std::string& tag : spec.tags) repositories.emplace_back(tag, chain.top_id);
    }
  }
  layout.AddFile("manifest.json", DockerManifestJson(entries));
  if (!repositories.empty()) layout.AddFile("repositories", RepositoriesJson(repositories));
  return layout;
}

}  // namespace imgmount::fixture
