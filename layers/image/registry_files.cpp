// RegistryFiles: the OCI layout view of a registry image. index.json is made here from the
// document the reference names; every other document is fetched when the OCI reader opens its
// blob path. A digest the registry knows as a blob (HEAD /v2/<repo>/blobs/<digest>) becomes a
// RemoteBlobSource (ranged reads; the reader checks a config against its digest, the indexing
// pass a layer); one it does not know as a blob is asked for as a manifest (nested manifests of
// an index live there), fetched whole, checked against the digest and kept in memory.
#include "layers/image/registry_files.h"

#include <map>
#include <mutex>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/image/descriptor.h"
#include "layers/registry/chunk_store.h"
#include "layers/registry/registry_client.h"
#include "layers/registry/remote_blob_source.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

class RegistryFiles final : public ImageFiles {
 public:
  RegistryFiles(const ImageReference& reference, const RegistryAccess& access)
      : store_(access.cache_dir.empty()
                   ? nullptr
                   : std::make_shared<ChunkStore>(access.cache_dir, ChunkCacheLimit())),
        client_(std::make_shared<RegistryClient>(reference, access)),
        name_(reference.given) {
    FetchedDocument top = client_->GetManifest(reference.ManifestRef());
    if (!IsManifestMediaType(top.media_type)) {
      ThrowBadImage(name_ + ": the registry serves the manifest as \"" + top.media_type +
                    "\", not an OCI or Docker v2 manifest or index");
    }
    index_json_ = OneManifestIndexJson(
        top.media_type, top.digest, top.bytes.size(),
        reference.tag.empty() ? "" : "org.opencontainers.image.ref.name", reference.tag);
    documents_.emplace(top.digest, std::move(top.bytes));
  }

  SourcePtr Open(const std::string& path) const override {
    if (path == "oci-layout")
      return std::make_shared<MemorySource>(kOciLayoutJson, name_ + ":" + path);
    if (path == "index.json")
      return std::make_shared<MemorySource>(index_json_, name_ + ":" + path);
    std::optional<std::string> digest = DigestFromBlobPath(path);
    if (!digest) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  name_ + ": " + path + ": no such file in a registry image");
    }
    if (auto known = Document(*digest)) return *known;
    uint64_t size = 0;
    try {
      size = client_->BlobSize(*digest);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNotFound) throw;
      FetchedDocument doc = client_->GetManifest(*digest);
      std::lock_guard lock(mu_);
      documents_.emplace(*digest, std::move(doc.bytes));
      return std::make_shared<MemorySource>(documents_.at(*digest), name_ + ":" + path);
    }
    return std::make_shared<RemoteBlobSource>(client_, *digest, size, store_);
  }

  bool Exists(const std::string& path) const override {
    if (path == "oci-layout" || path == "index.json") return true;
    if (!DigestFromBlobPath(path)) return false;
    try {
      Open(path);
      return true;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) return false;
      throw;
    }
  }

  const std::string& name() const override { return name_; }
  std::string Kind() const override { return "registry"; }

 private:
  std::optional<SourcePtr> Document(const std::string& digest) const {
    std::lock_guard lock(mu_);
    auto it = documents_.find(digest);
    if (it == documents_.end()) return std::nullopt;
    return std::make_shared<MemorySource>(it->second, name_ + ":blob " + digest);
  }

  // The chunk cache of the blobs, null without a cache directory.
  std::shared_ptr<const ChunkStore> store_;
  std::shared_ptr<const RegistryClient> client_;
  std::string name_;
  std::string index_json_;
  mutable std::mutex mu_;
  /// Manifests and indexes fetched, by digest (checked against it).
  mutable std::map<std::string, std::string> documents_;
};

}  // namespace

std::unique_ptr<ImageFiles> OpenRegistryFiles(const ImageReference& reference,
                                              const RegistryAccess& access) {
  return std::make_unique<RegistryFiles>(reference, access);
}

}  // namespace imgmount
