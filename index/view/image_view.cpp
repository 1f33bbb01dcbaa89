#include "index/view/image_view.h"

#include "index/view/lazy_image.h"

namespace imgmount {

ImageView OpenImageView(const std::string& path, const ViewOptions& options) {
  return ViewOf(*LazyImage::Open(path, options));
}

ImageView ViewOf(const LazyImage& lazy) {
  ImageView view;
  view.tree = lazy.WaitTree();
  view.layers = view.tree->layers();
  view.image = lazy.image();
  view.files = lazy.files();
  return view;
}

}  // namespace imgmount
