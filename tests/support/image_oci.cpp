// The OCI image layout (directory or archive), single- or multi-platform.
#include <map>
#include <stdexcept>

#include "tests/support/image_formats.h"

namespace imgmount::fixture {
namespace {

// Stores every blob of a prepared image.
void AddBlobs(Layout& layout, const PreparedImage& image) {
  for (const LayerBlob& layer : image.layers) layout.AddBlob(layer.descriptor.digest, layer.data);
  layout.AddBlob(image.config_descriptor.digest, image.config);
  layout.AddBlob(image.manifest_descriptor.digest, image.manifest);
}

// The org.opencontainers.image.ref.name of each reference: its tag, or the whole reference when
// two images would otherwise share a tag.
std::map<std::string, std::string> RefNames(const std::vector<ImageSpec>& images) {
  std::map<std::string, int> uses;
  for (const ImageSpec& spec : images) {
    for (const std::string& ref : spec.tags) ++uses[ReferenceTag(ref)];
  }
  std::map<std::string, std::string> names;
  for (const ImageSpec& spec : images) {
    for (const std::string& ref : spec.tags) {
      names[ref] = uses[ReferenceTag(ref)] > 1 ? ref : ReferenceTag(ref);
    }
  }
  return names;
}

}  // namespace

Layout OciLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  const MediaTypes& types = options.docker_media_types ? DockerMediaTypes() : OciMediaTypes();
  const std::map<std::string, std::string> ref_names = RefNames(images);
  Layout layout;
  std::vector<Descriptor> index;
  for (const ImageSpec& spec : images) {
    if (spec.platforms.empty()) throw std::invalid_argument("image without a platform");
    Descriptor top;
    if (spec.platforms.size() == 1) {
      const PreparedImage image = PrepareImage(spec.platforms.front(), options, types);
      AddBlobs(layout, image);
      top = image.manifest_descriptor;
      top.os.clear();
      top.architecture.clear();
      top.variant.clear();
    } else {
      std::vector<Descriptor> manifests;
      for (const PlatformImage& platform : spec.platforms) {
        const PreparedImage image = PrepareImage(platform, options, types);
        AddBlobs(layout, image);
        manifests.push_back(image.manifest_descriptor);
      }
      const std::string nested = IndexJson(types.index, manifests);
      top = DescribeBlob(types.index, nested);
      layout.AddBlob(top.digest, nested);
    }
    for (const std::string& ref : spec.tags) {
      Descriptor d = top;
      d.annotations = {{"org.opencontainers.image.ref.name", ref_names.at(ref)}};
      index.push_back(d);
    }
  }
  layout.AddFile("index.json", IndexJson(OciMediaTypes().index, index));
  layout.AddFile("oci-layout", OciLayoutJson());
  return layout;
}

}  // namespace imgmount::fixture
