#include "index/view/image_header.h"

#include <sys/stat.h>

#include "index/cache/index_cache.h"
#include "index/view/layer_loading.h"

namespace imgmount {

OpenedContainer OpenContainerOnly(const std::string& path, const ViewOptions& options) {
  OpenedContainer out;
  out.path = AbsolutePath(path);
  std::unique_ptr<IndexCache> cache;
  if (!options.cache_dir.empty())
    cache = std::make_unique<IndexCache>(options.cache_dir, options.warn);
  out.files = OpenContainer(path, out.path, cache.get(), options);
  return out;
}

ImageHeader ReadImageHeader(OpenedContainer container, const ViewOptions& options) {
  ImageHeader header;
  header.image = ReadImage(*container.files, options.selector);
  size_t count = header.image.layers.size();
  if (options.upto > count) {
    throw Error(ErrorKind::kUsage, EINVAL,
                container.files->name() + ": --upto " + std::to_string(options.upto) +
                    " but the image has only " + std::to_string(count) + " layers");
  }
  header.layers_in_view = options.upto > 0 ? options.upto : count;
  header.container = std::move(container);
  return header;
}

std::optional<CachedLayerFacts> CachedLayer(const ImageHeader& header, size_t position,
                                            const ViewOptions& options) {
  if (options.cache_dir.empty() || position >= header.image.layers.size()) return std::nullopt;
  // Nothing to look up in a cache directory that does not exist; nothing is created either.
  struct stat st {};
  if (::stat(options.cache_dir.c_str(), &st) != 0) return std::nullopt;
  IndexCache cache(options.cache_dir, nullptr);
  const LayerBlob& blob = header.image.layers[position];
  BlobPlace place = PlaceOf(header.container.path, *header.container.files, blob);
  IndexCache::LayerRequest request{&blob,          LayerName(position, blob),
                                   place.origin,   header.container.path,
                                   place.identity, options.decode,
                                   nullptr};
  auto file = cache.Peek(request);
  if (!file) return std::nullopt;
  CachedLayerFacts facts;
  facts.uncompressed_size = file->stream.index.stream_size;
  facts.entries = file->tables.members.size();
  facts.access_points =
      file->stream.index.codec == Codec::kNone ? 0 : file->stream.index.points.size();
  for (const AccessPoint& point : file->stream.index.points) {
    facts.local_copy = facts.local_copy || point.in_local_copy;
  }
  return facts;
}

}  // namespace imgmount
