// Lists every image and platform of a container (for `imgmount images` and an `inspect` of an
// archive that holds several), from manifests and configs only: no layer blob is read.
#include <map>
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

// A docker save that carries an OCI layout too (a containerd-store export) may name more platforms
// in index.json than in manifest.json: those are added, each in the group (and with the names)
// of the manifest.json image whose manifest shares its index entry.
void AddPlatformsOnlyTheIndexNames(const ImageFiles& files, std::vector<ImageCandidate>& all) {
  std::map<std::string, const ImageCandidate*> docker_by_manifest;
  for (const ImageCandidate& c : all) {
    if (!c.manifest_digest.empty()) docker_by_manifest[c.manifest_digest] = &c;
  }
  std::vector<ImageCandidate> oci = OciCandidates(files);
  std::map<std::string, const ImageCandidate*> docker_of_oci_group;
  for (const ImageCandidate& c : oci) {
    auto found = docker_by_manifest.find(c.manifest_digest);
    if (found != docker_by_manifest.end()) docker_of_oci_group[c.group] = found->second;
  }
  std::vector<ImageCandidate> extra;
  for (ImageCandidate& c : oci) {
    if (docker_by_manifest.contains(c.manifest_digest)) continue;
    auto owner = docker_of_oci_group.find(c.group);
    if (owner != docker_of_oci_group.end()) {
      c.group = owner->second->group;
      c.names = owner->second->names;
    }
    extra.push_back(std::move(c));
  }
  for (ImageCandidate& c : extra) all.push_back(std::move(c));
}

}  // namespace

std::vector<ImageListing> ListImages(const ImageFiles& files) {
  std::vector<ImageListing> out;
  std::vector<ImageCandidate> all = ContainerCandidates(files, ImageSelector{});
  if (files.Exists("manifest.json") && files.Exists("index.json")) {
    AddPlatformsOnlyTheIndexNames(files, all);
  }
  for (ImageCandidate& c : all) {
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
