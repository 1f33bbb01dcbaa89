#include "index/image_view.h"

#include <malloc.h>
#include <sys/stat.h>

#include <future>
#include <map>

#include "index/tar_indexer.h"
#include "layers/error.h"
#include "layers/span_cache.h"

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

}  // namespace

ImageView OpenImageView(const std::string& path, const ViewOptions& requested) {
  ViewOptions options = requested;
  if (!options.decode.cache) {
    // One bounded cache of decoded spans for every layer of the image.
    options.decode.cache =
        std::make_shared<SpanCache>(options.decode.cache_bytes, options.decode.span_bytes);
  }
  ImageView view;
  view.files = OpenImageFiles(path);
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
      it->second = std::async(std::launch::async, [&blob, i, &options] {
                     return IndexLayer(blob, LayerName(i, blob), options.decode, options.warn);
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
