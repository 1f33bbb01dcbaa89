// Lists every image and platform of a container (for `imgmount images` and an `inspect` of an
// archive that holds several), from manifests and configs only: no layer blob is read.
#include <optional>

#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/image/image_candidates.h"

namespace imgmount {
namespace {

// The bytes of `path` as its descriptor states them, else as the container stores them.
std::optional<uint64_t> BlobSize(const ImageFiles& files, const std::string& path,
                                 std::optional<uint64_t> stated) {
  if (stated) return stated;
  try {
    return files.Open(path)->Size();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
}

}  // namespace

std::vector<ImageListing> ListImages(const ImageFiles& files) {
  std::vector<ImageListing> out;
  for (ImageCandidate& c : ContainerCandidates(files, ImageSelector{})) {
    ImageListing listing;
    listing.names = c.names;
    listing.manifest_digest = c.manifest_digest;
    listing.config_digest = c.config_digest;
    listing.layers = c.layers.size();
    listing.unavailable = c.unavailable;
    listing.group = c.group;
    listing.platform = c.platform;
    if (c.unavailable.empty()) {
      if (!listing.platform) listing.platform = ReadCandidateConfig(files, c).platform;
      std::optional<uint64_t> total = BlobSize(files, c.config_path, c.config_size);
      for (const LayerRef& layer : c.layers) {
        std::optional<uint64_t> size = BlobSize(files, layer.path, layer.size);
        total = total && size ? std::optional(*total + *size) : std::nullopt;
      }
      listing.size = total;
    }
    out.push_back(std::move(listing));
  }
  return out;
}

}  // namespace imgmount
