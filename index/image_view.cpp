#include "index/image_view.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>

#include "index/index_cache.h"
#include "index/tar_indexer.h"
#include "layers/basic_sources.h"
#include "layers/error.h"
#include "layers/span_cache.h"
#include "layers/tar_files.h"

namespace imgmount {

std::pair<std::string, std::string> SplitImageArgument(const std::string& argument) {
  struct stat st {};
  if (::stat(argument.c_str(), &st) == 0) return {argument, ""};
  // "x.tar:app:2" names image "app:2" of x.tar: the file is the shortest existing prefix.
  for (size_t colon = argument.find(':'); colon != std::string::npos;
       colon = argument.find(':', colon + 1)) {
    std::string file = argument.substr(0, colon);
    if (colon > 0 && ::stat(file.c_str(), &st) == 0) return {file, argument.substr(colon + 1)};
  }
  return {argument, ""};
}

namespace {

std::string LayerName(size_t position, const LayerBlob& blob) {
  std::string id = !blob.digest.empty() ? blob.digest : blob.diff_id;
  return "layer " + std::to_string(position + 1) + " (" + ShortDigest(id) + ")";
}

// A key under which two identical layers of one image are indexed once.
std::string LayerKey(const LayerBlob& blob) {
  return blob.digest.empty() ? "path:" + blob.path : blob.digest;
}

std::string AbsolutePath(const std::string& path) {
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    std::string out = real;
    std::free(real);
    return out;
  }
  return path;
}

// Device, inode, size and modification time (ns): what identifies a file's bytes.
std::string FileIdentity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

// Where a layer's bytes come from, for index cache entries that cannot be shared by digest: the
// image file and the blob's path in it, or the blob's own file in a layout directory.
std::string BlobOrigin(const std::string& image, const ImageFiles& files, const LayerBlob& blob) {
  bool directory = files.Kind() == "directory";
  std::string file = directory ? image + "/" + blob.path : image;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  return image + "\n" + blob.path + "\n" + FileIdentity(st);
}

std::string Seconds(std::chrono::steady_clock::time_point start) {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

// Opens the container; a compressed tar's own index goes through the cache when there is one.
std::unique_ptr<ImageFiles> OpenFiles(const std::string& path, const std::string& image,
                                      IndexCache* cache, const ViewOptions& options) {
  if (cache == nullptr) return OpenImageFiles(path);
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
    options.info(name + (loaded ? ": index loaded from cache" : ": indexed in " + Seconds(start)));
  }
  return files;
}

std::shared_ptr<const LayerIndex> LoadLayer(IndexCache* cache, const ImageFiles& files,
                                            const std::string& image, const LayerBlob& blob,
                                            size_t position, const ViewOptions& options) {
  auto start = std::chrono::steady_clock::now();
  std::string name = LayerName(position, blob);
  IndexCache::LayerResult result;
  if (cache != nullptr) {
    result = cache->Layer(
        {&blob, name, BlobOrigin(image, files, blob), image, options.decode, options.warn});
  } else {
    result.index = IndexLayer(blob, name, options.decode, options.warn);
  }
  if (options.info) {
    options.info(name + (result.from_cache ? ": index loaded from cache"
                                           : ": indexed in " + Seconds(start)));
  }
  return result.index;
}

}  // namespace

ImageView OpenImageView(const std::string& path, const ViewOptions& requested) {
  ViewOptions options = requested;
  if (!options.decode.cache) {
    // One bounded cache of decoded spans for every layer of the image.
    options.decode.cache =
        std::make_shared<SpanCache>(options.decode.cache_bytes, options.decode.span_bytes);
  }
  std::unique_ptr<IndexCache> cache;
  if (!options.cache_dir.empty())
    cache = std::make_unique<IndexCache>(options.cache_dir, options.warn);
  std::string image = AbsolutePath(path);
  ImageView view;
  view.files = OpenFiles(path, image, cache.get(), options);
  view.image = ReadImage(*view.files, options.selector);
  size_t count = view.image.layers.size();
  if (options.upto > count) {
    throw Error(ErrorKind::kUsage, EINVAL,
                path + ": --upto " + std::to_string(options.upto) + " but the image has only " +
                    std::to_string(count) + " layers");
  }
  if (options.upto > 0) count = options.upto;

  // One task per distinct layer; at most two decode at once (two cores here).
  std::map<std::string, std::shared_future<std::shared_ptr<const LayerIndex>>> tasks;
  std::vector<std::shared_future<std::shared_ptr<const LayerIndex>>> order;
  std::vector<std::shared_future<std::shared_ptr<const LayerIndex>>> running;
  for (size_t i = 0; i < count; ++i) {
    const LayerBlob& blob = view.image.layers[i];
    auto [it, inserted] = tasks.try_emplace(LayerKey(blob));
    if (inserted) {
      if (running.size() >= 2) {
        running.front().wait();
        running.erase(running.begin());
      }
      it->second = std::async(std::launch::async, [&blob, i, &options, &cache, &view, &image] {
                     return LoadLayer(cache.get(), *view.files, image, blob, i, options);
                   }).share();
      running.push_back(it->second);
    }
    order.push_back(it->second);
  }
  for (auto& future : order) view.layers.push_back(future.get());
  view.tree = UnionTree::Build(view.layers, options.warn);
  ::malloc_trim(0);  // hand the builder's temporary maps back to the system
  return view;
}

}  // namespace imgmount
