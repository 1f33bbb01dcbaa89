// OCI image layouts (directory or archive, and the OCI part of Docker >= 25 exports): index.json
// is walked through nested indexes to every image manifest; attestation manifests (platform
// unknown/unknown) are skipped, and manifests whose blobs are missing are noted, not fatal.
#include <string_view>

#include "layers/digest.h"
#include "layers/error.h"
#include "layers/image_candidates.h"
#include "layers/json.h"

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

  void WalkIndex(const JsonDoc& doc, const std::string& group,
                 const std::vector<std::string>& names, int depth) {
    if (depth > kMaxIndexDepth) doc.Fail("image indexes nested too deeply");
    const auto* manifests = doc.OptArray(doc.RootObject(), "manifests");
    if (manifests == nullptr) return;
    size_t i = 0;
    for (const auto& descriptor : manifests->GetArray()) {
      std::string child_group = group.empty() ? "index.json entry " + std::to_string(i) : group;
      ++i;
      std::vector<std::string> child_names = names;
      if (names.empty()) child_names = RefNames(doc, descriptor);
      Descriptor(doc, descriptor, child_group, child_names, depth);
    }
  }

  std::vector<ImageCandidate> take() { return std::move(out_); }

 private:
  void Descriptor(const JsonDoc& doc, const rapidjson::Value& descriptor, const std::string& group,
                  const std::vector<std::string>& names, int depth) {
    std::string digest = doc.String(descriptor, "digest");
    std::string path = BlobPath(digest, doc.name());
    std::string type = doc.OptString(descriptor, "mediaType").value_or("");
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
      missing.unavailable = "its manifest " + ShortDigest(digest) + " is not in the image";
      out_.push_back(std::move(missing));
      return;
    }
    std::string child_name = files_.name() + ":" + path;
    JsonDoc child(ReadVerifiedSmallFile(files_, path, digest, child_name, "manifest"), child_name);
    const auto& root = child.RootObject();
    bool is_index = IsIndexType(type) || (!IsManifestType(type) && child.Find(root, "manifests"));
    if (is_index) {
      WalkIndex(child, group, names, depth + 1);
      return;
    }
    ImageCandidate candidate;
    candidate.group = group;
    candidate.names = names;
    candidate.platform = platform;
    candidate.manifest_digest = digest;
    const auto* config = child.OptObject(root, "config");
    if (config == nullptr) child.Fail("image manifest has no config");
    candidate.config_digest = child.String(*config, "digest");
    candidate.config_path = BlobPath(candidate.config_digest, child.name());
    if (const auto* layers = child.OptArray(root, "layers")) {
      for (const auto& layer : layers->GetArray()) {
        LayerRef ref;
        ref.digest = child.String(layer, "digest");
        ref.path = BlobPath(ref.digest, child.name());
        ref.media_type = child.OptString(layer, "mediaType").value_or("");
        candidate.layers.push_back(std::move(ref));
      }
    }
    out_.push_back(std::move(candidate));
  }

  const ImageFiles& files_;
  std::vector<ImageCandidate> out_;
};

}  // namespace

std::vector<ImageCandidate> OciCandidates(const ImageFiles& files) {
  JsonDoc index(ReadSmallFile(files, "index.json"), files.name() + ":index.json");
  index.RootObject();
  OciWalker walker(files);
  walker.WalkIndex(index, "", {}, 0);
  auto out = walker.take();
  if (out.empty()) index.Fail("lists no image manifests");
  return out;
}

}  // namespace imgmount
