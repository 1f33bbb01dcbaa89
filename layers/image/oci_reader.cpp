// OCI image layouts (directory or archive, and the OCI part of Docker >= 25 exports): index.json
// is walked through nested indexes to every image manifest; attestation manifests (platform
// unknown/unknown) are skipped, and manifests whose blobs are missing are noted, not fatal.
// Every descriptor is checked (digest form, size type) and every manifest or index read is
// checked against its descriptor's size and digest, and for schemaVersion 2.
#include <memory>
#include <string_view>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/image/descriptor.h"
#include "layers/image/image_candidates.h"
#include "layers/image/json.h"

namespace imgmount {
namespace {

constexpr int kMaxIndexDepth = 8;

bool IsIndexType(std::string_view type) {
  return type == "application/vnd.oci.image.index.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool IsManifestType(std::string_view type) {
  return type == "application/vnd.oci.image.manifest.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.v2+json";
}

std::vector<std::string> RefNames(const JsonDoc& doc, const rapidjson::Value& descriptor) {
  std::vector<std::string> names;
  if (const auto* annotations = doc.OptObject(descriptor, "annotations")) {
    for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
      if (auto name = doc.OptString(*annotations, key)) names.push_back(*name);
    }
  }
  return names;
}

// Whether the blob at `path` is in the image; false only if it is missing (the layout MAY miss
// blobs). One that is there but unusable (a directory, a fifo, a link leading out of the image)
// is an error of its own, not a missing blob.
bool BlobPresent(const ImageFiles& files, const std::string& path) {
  try {
    files.Open(path);
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return false;
    throw;
  }
}

class OciWalker {
 public:
  explicit OciWalker(const ImageFiles& files) : files_(files) {}

  // Walks the index `doc`, read from `index_path`.
  void WalkIndex(const JsonDoc& doc, const std::string& index_path, const std::string& group,
                 const std::vector<std::string>& names, int depth) {
    if (depth > kMaxIndexDepth) doc.Fail("image indexes nested too deeply");
    CheckManifestHeader(doc);
    const auto* manifests = doc.OptArray(doc.RootObject(), "manifests");
    if (manifests == nullptr) return;
    size_t i = 0;
    for (const auto& descriptor : manifests->GetArray()) {
      std::string child_group = group.empty() ? "index.json entry " + std::to_string(i) : group;
      ++i;
      std::vector<std::string> child_names = names;
      if (names.empty()) child_names = RefNames(doc, descriptor);
      Descriptor(doc, index_path, descriptor, child_group, child_names, depth);
    }
  }

  std::vector<ImageCandidate> take() { return std::move(out_); }
  std::map<std::string, uint64_t> take_sizes() { return std::move(sizes_); }

 private:
  void Descriptor(const JsonDoc& doc, const std::string& index_path,
                  const rapidjson::Value& descriptor, const std::string& group,
                  const std::vector<std::string>& names, int depth) {
    BlobDescriptor blob = Note(doc, ParseDescriptor(doc, descriptor, "manifest"));
    const std::string& digest = blob.digest;
    const std::string& type = blob.media_type;
    std::string path = BlobPath(digest, doc.name());
    std::optional<Platform> platform;
    if (const auto* p = doc.OptObject(descriptor, "platform")) {
      platform = Platform{doc.OptString(*p, "os").value_or(""),
                          doc.OptString(*p, "architecture").value_or(""),
                          doc.OptString(*p, "variant").value_or("")};
      if (platform->os == "unknown" && platform->architecture == "unknown") return;
    }
    if (const auto* annotations = doc.OptObject(descriptor, "annotations")) {
      if (doc.OptString(*annotations, "vnd.docker.reference.type") == "attestation-manifest")
        return;
    }
    if (!BlobPresent(files_, path)) {
      if (IsIndexType(type)) return;
      ImageCandidate missing;
      missing.group = group;
      missing.names = names;
      missing.platform = platform;
      missing.manifest_digest = digest;
      missing.index_path = index_path;
      missing.unavailable = "its manifest " + ShortDigest(digest) + " is not in the image";
      out_.push_back(std::move(missing));
      return;
    }
    std::string child_name = files_.name() + ":" + path;
    JsonDoc child(ReadVerifiedSmallFile(files_, path, digest, child_name, "manifest", blob.size),
                  child_name);
    const auto& root = child.RootObject();
    bool is_index = IsIndexType(type) || (!IsManifestType(type) && child.Find(root, "manifests"));
    if (is_index) {
      WalkIndex(child, path, group, names, depth + 1);
      return;
    }
    ImageCandidate candidate;
    candidate.group = group;
    candidate.names = names;
    candidate.platform = platform;
    candidate.manifest_digest = digest;
    candidate.manifest_path = path;
    candidate.index_path = index_path;
    CheckManifestHeader(child);
    const auto* config = child.OptObject(root, "config");
    if (config == nullptr) child.Fail("image manifest has no config");
    BlobDescriptor config_blob = Note(child, ParseDescriptor(child, *config, "config"));
    candidate.config_digest = config_blob.digest;
    candidate.config_size = config_blob.size;
    candidate.config_path = BlobPath(candidate.config_digest, child.name());
    if (const auto* layers = child.OptArray(root, "layers")) {
      for (const auto& layer : layers->GetArray()) {
        BlobDescriptor layer_blob = Note(child, ParseDescriptor(child, layer, "layer"));
        LayerRef ref;
        ref.digest = layer_blob.digest;
        ref.size = layer_blob.size;
        ref.path = BlobPath(ref.digest, child.name());
        ref.media_type = layer_blob.media_type;
        ref.annotations = std::move(layer_blob.annotations);
        candidate.layers.push_back(std::move(ref));
      }
    }
    out_.push_back(std::move(candidate));
  }

  // Records the size a descriptor states for its digest; two sizes of one digest are a lie.
  BlobDescriptor Note(const JsonDoc& doc, BlobDescriptor blob) {
    auto [it, added] = sizes_.emplace(blob.digest, blob.size);
    if (!added && it->second != blob.size) {
      doc.Fail("descriptors of " + ShortDigest(blob.digest) + " state two sizes, " +
               std::to_string(it->second) + " and " + std::to_string(blob.size));
    }
    return blob;
  }

  const ImageFiles& files_;
  std::vector<ImageCandidate> out_;
  std::map<std::string, uint64_t> sizes_;
};

// Walks index.json with everything it leads to.
OciWalker WalkLayout(const ImageFiles& files, std::unique_ptr<JsonDoc>* index) {
  *index =
      std::make_unique<JsonDoc>(ReadSmallFile(files, "index.json"), files.name() + ":index.json");
  (*index)->RootObject();
  OciWalker walker(files);
  walker.WalkIndex(**index, "index.json", "", {}, 0);
  return walker;
}

}  // namespace

std::vector<ImageCandidate> OciCandidates(const ImageFiles& files) {
  std::unique_ptr<JsonDoc> index;
  auto out = WalkLayout(files, &index).take();
  if (out.empty()) index->Fail("lists no image manifests");
  return out;
}

std::map<std::string, uint64_t> OciDescriptorSizes(const ImageFiles& files) {
  std::unique_ptr<JsonDoc> index;
  return WalkLayout(files, &index).take_sizes();
}

}  // namespace imgmount
