#include "index/view/layer_loading.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "index/layer/tar_indexer.h"
#include "index/layer/toc_index.h"
#include "layers/base/error.h"
#include "layers/image/containerd_files.h"
#include "layers/image/tar_files.h"
#include "layers/registry/image_reference.h"
#include "layers/source/basic_sources.h"

namespace imgmount {

std::string LayerName(size_t position, const LayerBlob& blob) {
  std::string id = !blob.digest.empty() ? blob.digest : blob.diff_id;
  return "layer " + std::to_string(position + 1) + " (" + ShortDigest(id) + ")";
}

std::string LayerKey(const LayerBlob& blob) {
  return blob.digest.empty() ? "path:" + blob.path : blob.digest;
}

std::string AbsolutePath(const std::string& path) {
  if (path.find("://") != std::string::npos) return path;  // a reference, not a file
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    std::string out = real;
    std::free(real);
    return out;
  }
  return path;
}

namespace {

// Device, inode, size and modification time (ns): what identifies a file's bytes.
std::string FileIdentity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

BlobPlace PlaceOf(const std::string& image, const ImageFiles& files, const LayerBlob& blob) {
  // A registry image has no local file: nothing may be keyed by a path that merely looks alike.
  // Its blob is named by its digest in the registry's repository: once a use of a shared entry
  // by an image of that repository was verified against the digest, later uses by images of
  // the same repository are not hashed again (each would download the whole blob); wrong
  // bytes served later still fail the span checks.
  if (files.Kind() == "registry") {
    auto reference = RegistryReferenceOf(image);
    if (!reference) return {};
    return {"",
            "registry " + reference->registry + "/" + reference->repository + "@" + blob.digest};
  }
  bool directory = files.Kind() == "directory";
  std::string file = directory ? image + "/" + blob.path : image;
  if (std::string local = files.LocalFile(blob.path); !local.empty()) file = local;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return {image + "\n" + blob.path + "\n" + FileIdentity(st),
          std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
              std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec)};
}

std::string SecondsSince(std::chrono::steady_clock::time_point start) {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

namespace {

// A view of another source that records the furthest byte read, for progress displays.
class ProgressSource final : public ByteSource {
 public:
  ProgressSource(SourcePtr inner, std::shared_ptr<std::atomic<uint64_t>> furthest)
      : inner_(std::move(inner)), furthest_(std::move(furthest)) {}
  uint64_t Size() const override { return inner_->Size(); }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override {
    size_t got = inner_->ReadAt(offset, dst);
    uint64_t end = offset + got;
    uint64_t seen = furthest_->load(std::memory_order_relaxed);
    while (end > seen && !furthest_->compare_exchange_weak(seen, end, std::memory_order_relaxed)) {
    }
    return got;
  }
  std::string Describe() const override { return inner_->Describe(); }
  void WillNeed(uint64_t offset, uint64_t length) const override {
    inner_->WillNeed(offset, length);
  }
  void Forget(uint64_t offset, uint64_t length) const override { inner_->Forget(offset, length); }

 private:
  SourcePtr inner_;
  std::shared_ptr<std::atomic<uint64_t>> furthest_;
};

}  // namespace

std::unique_ptr<ImageFiles> OpenContainer(const std::string& path, const std::string& image,
                                          IndexCache* cache, const ViewOptions& options) {
  if (cache == nullptr || IsContainerdReference(path) || RegistryReferenceOf(path)) {
    return OpenImageFiles(path, options.registry, options.containerd);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) ThrowSystemError(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return OpenImageFiles(path);
  }
  auto start = std::chrono::steady_clock::now();
  std::string name = "archive " + path;
  bool loaded = false;
  std::unique_ptr<ImageFiles> files;
  {
    ArchiveIndexHooks hooks = cache->ArchiveHooks(
        FileIdentity(st), static_cast<uint64_t>(st.st_size), name, image, &loaded);
    files = OpenTarFiles(FileSource::FromFd(fd, path), path, &hooks);
  }
  if (options.info && files->Kind() != "tar") {
    options.info(name +
                 (loaded ? ": index loaded from cache" : ": indexed in " + SecondsSince(start)));
  }
  return files;
}

std::shared_ptr<const LayerIndex> LoadLayer(IndexCache* cache, const ImageFiles& files,
                                            const std::string& image, const LayerBlob& original,
                                            size_t position, const ViewOptions& options,
                                            std::shared_ptr<std::atomic<uint64_t>> progress,
                                            bool* from_cache) {
  auto start = std::chrono::steady_clock::now();
  LayerBlob blob = original;
  if (progress != nullptr) blob.blob = std::make_shared<ProgressSource>(blob.blob, progress);
  std::string name = LayerName(position, blob);
  IndexCache::LayerResult result;
  try {
    std::optional<IndexCache::LayerRequest> request;
    if (cache != nullptr) {
      BlobPlace place = PlaceOf(image, files, blob);
      request = IndexCache::LayerRequest{&blob,          name,           place.origin, image,
                                         place.identity, options.decode, options.warn};
    }
    // A layer with a table of contents needs no pass (toc_index.h) unless the cache holds its
    // index already; one without, or whose TOC fails a check, is indexed as any other. The TOC
    // is looked for at the blob's end: not through the progress view, whose furthest byte read
    // would then say the pass is done before it began.
    if (!request || !cache->Peek(*request)) {
      if (auto index = IndexLayerFromToc(original, name, options.decode, options.warn)) {
        if (options.info) options.info(name + ": index from TOC in " + SecondsSince(start));
        if (from_cache != nullptr) *from_cache = false;
        return index;
      }
    }
    if (request) {
      result = cache->Layer(*request);
    } else {
      result.index = IndexLayer(blob, name, options.decode, options.warn);
    }
  } catch (const Error& e) {
    // Bytes that fail a check must not stay in a cache of fetched bytes (a registry's chunks).
    if (e.kind() == ErrorKind::kIntegrity || e.kind() == ErrorKind::kBadImage) {
      original.blob->Forget(0, original.blob->Size());
    }
    throw;
  }
  if (options.info) {
    options.info(name + (result.from_cache ? ": index loaded from cache"
                                           : ": indexed in " + SecondsSince(start)));
  }
  if (from_cache != nullptr) *from_cache = result.from_cache;
  return result.index;
}

}  // namespace imgmount
