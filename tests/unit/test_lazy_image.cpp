// LazyImage: the background indexing behind the lazy mount. Its finished tree equals the one the
// union builder makes from the same layers; a repeated layer is indexed once; progress ends with
// every layer ready; a damaged layer fails alone, naming itself, while the others stay usable.
#include <catch2/catch.hpp>
#include <filesystem>

#include "index/union/union_builder.h"
#include "index/view/lazy_image.h"
#include "layers/base/error.h"
#include "tests/unit/test_index_cache_support.h"
#include "tests/unit/test_union_support.h"

namespace imgmount {
namespace {

using namespace fixture;
using testing::TempDir;

}  // namespace

TEST_CASE("lazy image: the finished tree equals the union of its layers", "[lazy]") {
  TempDir dir;
  std::string image = dir / "sample";
  testing::WriteSample(image, "oci-dir", Compression::kGzip);
  std::shared_ptr<LazyImage> lazy = LazyImage::Open(image, ViewOptions{});
  std::shared_ptr<const UnionTree> tree = lazy->WaitTree();
  REQUIRE(tree != nullptr);
  CHECK(lazy->Finished());
  CHECK(lazy->tree() == tree);
  REQUIRE(lazy->layer_count() == lazy->image().layers.size());

  std::vector<std::shared_ptr<const LayerIndex>> layers = lazy->WaitLayers();
  CHECK(testing::Render(*BuildUnionTree(layers)) == testing::Render(*tree));
  // The sample repeats one layer: both positions share one index.
  size_t shared = 0;
  for (uint32_t a = 0; a < lazy->layer_count(); ++a) {
    for (uint32_t b = a + 1; b < lazy->layer_count(); ++b) {
      if (lazy->image().layers[a].digest == lazy->image().layers[b].digest) {
        CHECK(lazy->TryLayer(a) == lazy->TryLayer(b));
        ++shared;
      }
    }
  }
  CHECK(shared == 1);
  for (const LayerProgress& p : lazy->Progress()) {
    CHECK(p.state == LayerProgress::State::kReady);
    CHECK(p.done == p.total);
    CHECK(p.total > 0);
  }
  CHECK(lazy->WaitView(lazy->layer_count() - 1) != nullptr);
}

TEST_CASE("lazy image: --upto limits the positions", "[lazy]") {
  TempDir dir;
  std::string image = dir / "sample";
  testing::WriteSample(image, "oci-dir", Compression::kNone);
  ViewOptions options;
  options.upto = 2;
  std::shared_ptr<LazyImage> lazy = LazyImage::Open(image, options);
  CHECK(lazy->layer_count() == 2);
  CHECK(lazy->WaitTree()->layers().size() == 2);
  options.upto = 99;
  CHECK_THROWS_AS(LazyImage::Open(image, options), Error);
}

TEST_CASE("lazy image: a damaged layer fails alone and names itself", "[lazy]") {
  TempDir dir;
  std::string image = dir / "image";
  testing::WriteOneLayerImage(image, testing::RichLayerEntries(1 << 20), "oci-dir",
                              Compression::kGzip);
  std::string blob = testing::LargestBlob(image);
  std::string bytes = testing::ReadFileBytes(blob);
  REQUIRE(bytes.size() > 1000);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
  testing::WriteFileBytes(blob, bytes);

  std::shared_ptr<LazyImage> lazy = LazyImage::Open(image, ViewOptions{});
  REQUIRE(lazy->layer_count() == 1);
  CHECK_THROWS_WITH(lazy->WaitTree(), Catch::Contains("layer 1"));
  CHECK_THROWS_AS(lazy->WaitView(0), Error);
  CHECK_THROWS_AS(lazy->WaitLayers(), Error);
  CHECK(lazy->TryLayer(0) == nullptr);
  CHECK(lazy->TryView(0) == nullptr);
  CHECK(lazy->tree() == nullptr);
  CHECK(lazy->Finished());
  std::vector<LayerProgress> progress = lazy->Progress();
  REQUIRE(progress.size() == 1);
  CHECK(progress[0].state == LayerProgress::State::kFailed);
  CHECK_THAT(progress[0].error, Catch::Contains("layer 1"));
}

}  // namespace imgmount
