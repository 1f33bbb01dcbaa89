// Recognises the container format (docs/ARCHITECTURE.md, the inputs) and chooses one image: by name
// or tag first, then by platform (the requested one, else the host's, else the only one).
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "layers/base/error.h"
#include "layers/image/descriptor.h"
#include "layers/image/image.h"
#include "layers/image/image_candidates.h"
#include "layers/image/json.h"

namespace imgmount {
namespace {

// "node" -> "node:latest", "docker.io/library/node:20" -> "node:20".
std::string NormalizeName(std::string name) {
  for (std::string_view prefix : {"docker.io/", "index.docker.io/", "library/"}) {
    if (name.starts_with(prefix)) name.erase(0, prefix.size());
  }
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!has_tag && name.find('@') == std::string::npos) name += ":latest";
  return name;
}

bool NameMatches(const std::string& want, const std::string& have) {
  if (want == have || NormalizeName(want) == NormalizeName(have)) return true;
  bool tag_only = want.find(':') == std::string::npos && want.find('/') == std::string::npos;
  size_t colon = have.rfind(':');
  return tag_only && colon != std::string::npos && have.substr(colon + 1) == want;
}

std::string Describe(const ImageCandidate& c) {
  if (!c.names.empty()) {
    std::string out;
    for (const auto& name : c.names) out += (out.empty() ? "" : ", ") + name;
    return out;
  }
  return "untagged " + (c.config_digest.empty() ? c.group : ShortDigest(c.config_digest));
}

std::string ListGroups(const std::vector<ImageCandidate>& candidates) {
  std::set<std::string> seen;
  std::string out;
  for (const auto& c : candidates) {
    if (!seen.insert(c.group).second) continue;
    out += "\n  " + Describe(c);
  }
  return out;
}

// A docker save of Docker >= 25 (or a containerd export) also holds an OCI layout whose
// descriptors state the sizes of the blobs manifest.json names without them, and the image
// manifests that manifest.json does not name: the one whose config is the entry's is its manifest.
void AddOciFacts(const ImageFiles& files, std::vector<ImageCandidate>& all) {
  std::map<std::string, const ImageCandidate*> manifest_of_config;
  std::vector<ImageCandidate> oci;
  try {
    oci = OciCandidates(files);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kBadImage) throw;
  }
  for (const ImageCandidate& c : oci) {
    if (c.unavailable.empty()) manifest_of_config.emplace(c.config_digest, &c);
  }
  for (ImageCandidate& c : all) {
    auto it = manifest_of_config.find(c.config_digest);
    if (c.config_digest.empty() || it == manifest_of_config.end()) continue;
    c.manifest_digest = it->second->manifest_digest;
    c.manifest_path = it->second->manifest_path;
    c.index_path = it->second->index_path;
  }
  std::map<std::string, uint64_t> sizes = OciDescriptorSizes(files);
  auto size_of = [&](const std::string& digest) -> std::optional<uint64_t> {
    auto it = sizes.find(digest);
    if (digest.empty() || it == sizes.end()) return std::nullopt;
    return it->second;
  };
  for (ImageCandidate& c : all) {
    c.config_size = size_of(c.config_digest);
    for (LayerRef& layer : c.layers) layer.size = size_of(layer.digest);
  }
}

std::string ListPlatforms(const std::vector<const ImageCandidate*>& group) {
  std::string out;
  for (const auto* c : group) {
    out += "\n  " + (c->platform ? c->platform->ToString() : std::string("unknown"));
    if (!c->unavailable.empty()) out += " (" + c->unavailable + ")";
  }
  return out;
}

const ImageCandidate* ChoosePlatform(const std::vector<const ImageCandidate*>& group,
                                     const ImageSelector& selector, const std::string& file) {
  if (selector.platform) {
    for (const auto* c : group) {
      if (c->platform && selector.platform->Matches(*c->platform)) {
        if (!c->unavailable.empty()) {
          std::string present;
          for (const auto* other : group) {
            if (other->unavailable.empty() && other->platform) {
              present += " " + other->platform->ToString();
            }
          }
          throw Error(ErrorKind::kNotFound, ENOENT,
                      file + ": platform " + selector.platform->ToString() + " is listed but " +
                          c->unavailable + "; platforms present:" +
                          (present.empty() ? std::string(" none") : present));
        }
        return c;
      }
    }
    throw Error(ErrorKind::kNotFound, ENOENT,
                file + ": no platform " + selector.platform->ToString() +
                    " in the image; available:" + ListPlatforms(group));
  }
  std::vector<const ImageCandidate*> usable;
  for (const auto* c : group) {
    if (c->unavailable.empty()) usable.push_back(c);
  }
  Platform host = Platform::Host();
  for (const auto* c : usable) {
    if (c->platform && host.Matches(*c->platform)) return c;
  }
  if (usable.size() == 1) return usable.front();
  if (usable.empty()) {
    throw Error(ErrorKind::kNotFound, ENOENT,
                file + ": no usable image manifest; listed:" + ListPlatforms(group));
  }
  throw Error(ErrorKind::kNotFound, ENOENT,
              file + ": no image for this machine's platform " + host.ToString() +
                  "; choose one with --platform:" + ListPlatforms(group));
}

// Chooses the candidate by name, then platform. Fills platforms from configs where needed.
const ImageCandidate& Choose(const ImageFiles& files, std::vector<ImageCandidate>& all,
                             const ImageSelector& selector) {
  std::vector<ImageCandidate*> named;
  for (auto& c : all) {
    bool match = selector.name.empty() ||
                 std::any_of(c.names.begin(), c.names.end(),
                             [&](const std::string& n) { return NameMatches(selector.name, n); });
    if (match) named.push_back(&c);
  }
  if (named.empty()) {
    throw Error(
        ErrorKind::kNotFound, ENOENT,
        files.name() + ": no image named \"" + selector.name + "\"; it holds:" + ListGroups(all));
  }
  std::string group = named.front()->group;
  for (const auto* c : named) {
    if (c->group != group) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  files.name() + " holds several images; choose one with IMAGE:TAG or --image:" +
                      ListGroups(all));
    }
  }
  std::vector<const ImageCandidate*> members;
  for (auto* c : named) {
    if (!c->platform && c->unavailable.empty()) {
      ImageConfig config = ReadCandidateConfig(files, *c);
      c->platform = config.platform;
    }
    members.push_back(c);
  }
  return *ChoosePlatform(members, selector, files.name());
}

std::string FormatName(const ImageFiles& files, bool docker, const std::vector<ImageCandidate>& c) {
  bool oci = files.Exists("oci-layout") && files.Exists("index.json");
  if (docker && oci) return "docker save (Docker >= 25, OCI layout inside)";
  if (docker) {
    for (const auto& layer : c.front().layers) {
      if (layer.path.ends_with("/layer.tar")) return "docker save (Docker <= 24)";
    }
    return "docker-archive (skopeo/podman)";
  }
  if (files.Kind() == "registry") return "OCI distribution API";
  if (files.Kind() == "containerd") return "containerd content store";
  return files.Kind() == "directory" ? "OCI layout" : "OCI archive";
}

bool AnyPlatformMatches(const ImageFiles& files, std::vector<ImageCandidate>& all,
                        const Platform& want) {
  for (auto& c : all) {
    if (!c.platform) c.platform = ReadCandidateConfig(files, c).platform;
    if (want.Matches(*c.platform)) return true;
  }
  return false;
}

}  // namespace

ImageConfig ReadCandidateConfig(const ImageFiles& files, const ImageCandidate& c) {
  std::string name = files.name() + ":" + c.config_path;
  return ParseImageConfig(
      ReadVerifiedSmallFile(files, c.config_path, c.config_digest, name, "config", c.config_size),
      name);
}

std::vector<ImageCandidate> ContainerCandidates(const ImageFiles& files,
                                                const ImageSelector& selector) {
  std::vector<ImageCandidate> all;
  if (files.Exists("manifest.json")) {
    all = DockerSaveCandidates(files);
    if (files.Exists("index.json")) AddOciFacts(files, all);
    // A containerd-store export may offer more platforms in its OCI index than in manifest.json.
    if (selector.platform && files.Exists("index.json") &&
        !AnyPlatformMatches(files, all, *selector.platform)) {
      all = OciCandidates(files);
    }
  } else if (files.Exists("index.json")) {
    all = OciCandidates(files);
  } else {
    throw Error(ErrorKind::kBadImage, EINVAL,
                files.name() +
                    ": not a container image (no manifest.json or index.json; expected "
                    "a docker save tar, a docker-archive, or an OCI layout or archive)");
  }
  return all;
}

std::string LayerSizeProblem(const LayerBlob& layer) {
  return layer.descriptor_size ? SizeProblem(*layer.descriptor_size, layer.blob->Size()) : "";
}

Image ReadImage(const ImageFiles& files, const ImageSelector& selector, bool check_layer_sizes) {
  bool docker = files.Exists("manifest.json");
  std::vector<ImageCandidate> all = ContainerCandidates(files, selector);
  const ImageCandidate& chosen = Choose(files, all, selector);

  Image image;
  image.format = FormatName(files, docker, all);
  image.container = files.Kind();
  image.names = chosen.names;
  image.manifest_digest = chosen.manifest_digest;
  image.manifest_path = chosen.manifest_path;
  image.index_path = chosen.index_path;
  image.config_digest = chosen.config_digest;
  image.config_path = chosen.config_path;
  for (const auto& c : all) {
    if (c.group == chosen.group && c.platform) image.platforms.push_back(c.platform->ToString());
  }
  image.config = ReadCandidateConfig(files, chosen);
  const auto& diff_ids = image.config.diff_ids;
  if (diff_ids.size() != chosen.layers.size()) {
    ThrowBadImage(files.name() + ": the manifest lists " + std::to_string(chosen.layers.size()) +
                  " layers but the config has " + std::to_string(diff_ids.size()) + " diff_ids");
  }
  for (size_t i = 0; i < chosen.layers.size(); ++i) {
    const LayerRef& ref = chosen.layers[i];
    LayerBlob blob;
    blob.digest = ref.digest;
    blob.diff_id = diff_ids[i];
    blob.media_type = ref.media_type;
    blob.path = ref.path;
    try {
      blob.blob = files.Open(ref.path);
    } catch (const Error& e) {
      // Only a blob that is not there is "missing"; one that is there but is a directory, a fifo
      // or a link leading out of the image keeps its own error.
      if (e.kind() != ErrorKind::kNotFound) throw;
      std::string foreign = ref.media_type.find("foreign") != std::string::npos
                                ? " (a foreign layer: imgmount never downloads)"
                                : "";
      throw Error(ErrorKind::kNotFound, ENOENT,
                  files.name() + ": layer " + std::to_string(i + 1) + " (" + ref.path +
                      ") is missing from the image" + foreign);
    }
    blob.descriptor_size = ref.size;
    blob.annotations = ref.annotations;
    if (check_layer_sizes && ref.size) {
      CheckBlobSize(*blob.blob, *ref.size,
                    files.name() + ": layer " + std::to_string(i + 1) + " (" + ref.path + ")",
                    "blob");
    }
    image.layers.push_back(std::move(blob));
  }
  return image;
}

}  // namespace imgmount
