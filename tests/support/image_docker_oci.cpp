// The OCI-based docker save layouts: Docker >= 25 with graph drivers, and the containerd store.
#include <algorithm>
#include <stdexcept>

#include "tests/support/image_formats.h"
#include "tests/support/tar_writer.h"

namespace imgmount::fixture {
namespace {

// The media types an OCI-based output uses.
const MediaTypes& TypesFor(const WriteOptions& options) {
  return options.docker_media_types ? DockerMediaTypes() : OciMediaTypes();
}

// The index.json annotations Docker writes for one reference.
std::vector<std::pair<std::string, std::string>> RefAnnotations(const std::string& ref) {
  return {{"io.containerd.image.name", QualifiedReference(ref)},
          {"org.opencontainers.image.ref.name", ReferenceTag(ref)}};
}

// Adds a manifest.json entry whose paths point into blobs/.
DockerManifestEntry ManifestEntry(const ImageSpec& spec, const PreparedImage& image) {
  DockerManifestEntry entry;
  entry.config = BlobPath(image.config_descriptor.digest);
  entry.tags = spec.tags;
  for (const LayerBlob& layer : image.layers)
    entry.layers.push_back(BlobPath(layer.descriptor.digest));
  return entry;
}

// A copy of the descriptor without platform, as index.json entries carry none.
Descriptor WithoutPlatform(Descriptor d) {
  d.os.clear();
  d.architecture.clear();
  d.variant.clear();
  return d;
}

// A stand-in second platform whose blobs the export leaves out.
PlatformImage SyntheticOtherPlatform(const PlatformImage& chosen) {
  PlatformImage other;
  other.config = chosen.config;
  other.config.history.clear();
  other.config.architecture = chosen.config.architecture == "arm64" ? "amd64" : "arm64";
  other.config.variant = other.config.architecture == "arm64" ? "v8" : "";
  TarEntry marker;
  marker.path = "etc/imgmount-platform";
  marker.content = "linux/" + other.config.architecture + "\n";
  other.layers.push_back(BuildTar({marker}));
  return other;
}

// Adds (when `store`) the blobs of a BuildKit attestation manifest for `image` and returns its
// index descriptor (platform unknown/unknown, pointing back at the image manifest).
Descriptor AddAttestation(Layout& layout, const PreparedImage& image, bool store) {
  const std::string statement =
      "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":"
      "\"https://slsa.dev/provenance/v0.2\",\"subject\":[{\"name\":\"imgmount-fixture\","
      "\"digest\":{\"sha256\":\"" +
      DigestHex(image.manifest_descriptor.digest) + "\"}}],\"predicate\":{}}";
  Descriptor layer = DescribeBlob("application/vnd.in-toto+json", statement);
  layer.annotations = {{"in-toto.io/predicate-type", "https://slsa.dev/provenance/v0.2"}};
  const std::string config =
      "{\"architecture\":\"unknown\",\"os\":\"unknown\",\"config\":{},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" +
      layer.digest + "\"]}}";
  const Descriptor config_descriptor = DescribeBlob(OciMediaTypes().config, config);
  const std::string manifest = ManifestJson(OciMediaTypes(), config_descriptor, {layer});
  Descriptor d = DescribeBlob(OciMediaTypes().manifest, manifest);
  d.annotations = {{"vnd.docker.reference.digest", image.manifest_descriptor.digest},
                   {"vnd.docker.reference.type", "attestation-manifest"}};
  d.os = "unknown";
  d.architecture = "unknown";
  if (store) {
    layout.AddBlob(layer.digest, statement);
    layout.AddBlob(config_descriptor.digest, config);
    layout.AddBlob(d.digest, manifest);
  }
  return d;
}

// Stores every blob of a prepared image.
void AddImageBlobs(Layout& layout, const PreparedImage& image) {
  for (const LayerBlob& layer : image.layers) layout.AddBlob(layer.descriptor.digest, layer.data);
  layout.AddBlob(image.config_descriptor.digest, image.config);
  layout.AddBlob(image.manifest_descriptor.digest, image.manifest);
}

}  // namespace

Layout DockerOciLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  Layout layout;
  std::vector<DockerManifestEntry> entries;
  std::vector<Descriptor> index;
  std::vector<std::pair<std::string, std::string>> repositories;
  for (const ImageSpec& spec : images) {
    if (spec.platforms.empty()) throw std::invalid_argument("image without a platform");
    PreparedImage image = PrepareImage(spec.platforms.front(), options, TypesFor(options));
    if (options.shuffle_oci_layers && image.layers.size() > 1) {
      std::vector<Descriptor> shuffled;
      for (const LayerBlob& layer : image.layers) shuffled.push_back(layer.descriptor);
      std::rotate(shuffled.begin(), shuffled.begin() + 1, shuffled.end());
      image.manifest = ManifestJson(TypesFor(options), image.config_descriptor, shuffled);
      image.manifest_descriptor = DescribeBlob(TypesFor(options).manifest, image.manifest);
    }
    AddImageBlobs(layout, image);
    const std::string legacy =
        V1LayerJson(DigestHex(image.config_descriptor.digest), "", &spec.platforms.front().config);
    layout.AddBlob(Sha256Digest(legacy), legacy);
    entries.push_back(ManifestEntry(spec, image));
    for (const std::string& ref : spec.tags) {
      Descriptor d = WithoutPlatform(image.manifest_descriptor);
      d.annotations = RefAnnotations(ref);
      index.push_back(d);
      repositories.emplace_back(ref, DigestHex(image.layers.empty() ? image.config_descriptor.digest
                                                                    : image.layers.back().diff_id));
    }
  }
  layout.AddFile("index.json", IndexJson(OciMediaTypes().index, index, options.null_oci_manifests));
  layout.AddFile("manifest.json", DockerManifestJson(entries));
  layout.AddFile("oci-layout", OciLayoutJson());
  if (!repositories.empty()) layout.AddFile("repositories", RepositoriesJson(repositories));
  layout.SortByName();
  return layout;
}

Layout ContainerdLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  Layout layout;
  std::vector<DockerManifestEntry> entries;
  std::vector<Descriptor> index;
  const MediaTypes& types = TypesFor(options);
  for (const ImageSpec& spec : images) {
    if (spec.platforms.empty()) throw std::invalid_argument("image without a platform");
    std::vector<PlatformImage> others(spec.platforms.begin() + 1, spec.platforms.end());
    if (others.empty()) others.push_back(SyntheticOtherPlatform(spec.platforms.front()));
    const PreparedImage chosen = PrepareImage(spec.platforms.front(), options, types);
    AddImageBlobs(layout, chosen);
    std::vector<Descriptor> manifests{chosen.manifest_descriptor};
    std::vector<Descriptor> attestations;
    if (!options.docker_media_types) attestations.push_back(AddAttestation(layout, chosen, true));
    for (const PlatformImage& other : others) {
      const PreparedImage missing = PrepareImage(other, options, types);
      manifests.push_back(missing.manifest_descriptor);
      if (!options.docker_media_types) {
        attestations.push_back(AddAttestation(layout, missing, false));
      }
    }
    manifests.insert(manifests.end(), attestations.begin(), attestations.end());
    const std::string nested = IndexJson(types.index, manifests);
    const Descriptor nested_descriptor = DescribeBlob(types.index, nested);
    layout.AddBlob(nested_descriptor.digest, nested);
    entries.push_back(ManifestEntry(spec, chosen));
    for (const std::string& ref : spec.tags) {
      Descriptor d = nested_descriptor;
      d.annotations = RefAnnotations(ref);
      index.push_back(d);
    }
  }
  layout.AddFile("index.json", IndexJson(OciMediaTypes().index, index));
  layout.AddFile("manifest.json", DockerManifestJson(entries));
  layout.AddFile("oci-layout", OciLayoutJson());
  layout.SortByName();
  return layout;
}

}  // namespace imgmount::fixture
