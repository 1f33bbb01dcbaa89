// manifest.json of `docker save` (all eras) and skopeo/podman docker-archive: an array of
// {Config, RepoTags, Layers} whose paths are relative to the archive root.
#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/base/member_path.h"
#include "layers/image/descriptor.h"
#include "layers/image/image_candidates.h"
#include "layers/image/json.h"

namespace imgmount {

std::string ReadSmallFile(const ImageFiles& files, const std::string& path) {
  SourcePtr source = files.Open(path);
  return ReadAll(*source, kMaxJsonBytes);
}

std::string ReadVerifiedSmallFile(const ImageFiles& files, const std::string& path,
                                  const std::string& digest, const std::string& name,
                                  const char* what, std::optional<uint64_t> size) {
  SourcePtr source = files.Open(path);
  if (size) CheckBlobSize(*source, *size, name, what);
  std::string content = ReadAll(*source, kMaxJsonBytes);
  if (IsValidDigest(digest)) {
    Hasher hash(AlgorithmOf(digest));
    hash.Update(std::as_bytes(std::span(content.data(), content.size())));
    std::string actual = hash.Finish();
    if (actual != digest) {
      throw Error(
          ErrorKind::kIntegrity, EIO,
          name + ": " + what + " digest mismatch: expected " + digest + ", content has " + actual);
    }
  }
  return content;
}

namespace {

// A path from manifest.json, which must stay inside the archive.
std::string InsidePath(const JsonDoc& doc, const std::string& raw, const char* what) {
  auto path = NormalizeMemberPath(raw);
  if (!path || path->empty()) {
    doc.Fail(std::string(what) + " path \"" + raw.substr(0, 200) + "\" leaves the archive");
  }
  return *path;
}

}  // namespace

std::vector<ImageCandidate> DockerSaveCandidates(const ImageFiles& files) {
  JsonDoc doc(ReadSmallFile(files, "manifest.json"), files.name() + ":manifest.json");
  if (!doc.root().IsArray()) doc.Fail("expected a JSON array of images");
  std::vector<ImageCandidate> out;
  size_t index = 0;
  for (const auto& entry : doc.root().GetArray()) {
    ImageCandidate candidate;
    candidate.group = "manifest.json entry " + std::to_string(index++);
    candidate.names = doc.StringArray(entry, "RepoTags");
    candidate.config_path = InsidePath(doc, doc.String(entry, "Config"), "Config");
    if (auto digest = DigestFromBlobPath(candidate.config_path)) {
      candidate.config_digest = *digest;
    } else if (auto stem = BaseName(candidate.config_path); stem.ends_with(".json")) {
      std::string guess = "sha256:" + std::string(stem.substr(0, stem.size() - 5));
      if (IsValidDigest(guess)) candidate.config_digest = guess;
    }
    for (const auto& path : doc.StringArray(entry, "Layers")) {
      LayerRef layer;
      layer.path = InsidePath(doc, path, "layer");
      if (auto digest = DigestFromBlobPath(layer.path)) layer.digest = *digest;
      candidate.layers.push_back(std::move(layer));
    }
    out.push_back(std::move(candidate));
  }
  if (out.empty()) doc.Fail("lists no images");
  return out;
}

}  // namespace imgmount
