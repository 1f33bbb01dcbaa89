#include "index/view/image_view.h"

#include <sys/stat.h>

#include "index/view/lazy_image.h"

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

ImageView OpenImageView(const std::string& path, const ViewOptions& options) {
  std::shared_ptr<LazyImage> lazy = LazyImage::Open(path, options);
  ImageView view;
  view.tree = lazy->WaitTree();
  view.layers = view.tree->layers();
  view.image = lazy->image();
  view.files = lazy->files();
  return view;
}

}  // namespace imgmount
