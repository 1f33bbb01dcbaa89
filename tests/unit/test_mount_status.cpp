// The status document a mount answers (index/view/mount_status.h): made from a real LazyImage,
// healthy and with a damaged layer, it reads back to what was encoded; it stays under the attribute
// size limit whatever the number of layers; anything that is not such a document is refused.
#include <catch2/catch.hpp>

#include "index/view/lazy_image.h"
#include "index/view/mount_status.h"
#include "layers/base/error.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount {
namespace {

using namespace fixture;
using testing::TempDir;

void CheckSame(const MountStatus& a, const MountStatus& b) {
  CHECK(a.image == b.image);
  CHECK(a.pid == b.pid);
  CHECK(a.state == b.state);
  CHECK(a.error == b.error);
  REQUIRE(a.layers.size() == b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    CHECK(a.layers[k].digest == b.layers[k].digest);
    CHECK(a.layers[k].state == b.layers[k].state);
    CHECK(a.layers[k].done == b.layers[k].done);
    CHECK(a.layers[k].total == b.layers[k].total);
    CHECK(a.layers[k].error == b.layers[k].error);
  }
}

}  // namespace

TEST_CASE("mount status: a complete image and a failed one read back", "[mount-status]") {
  TempDir dir;
  std::string image = dir / "sample";
  testing::WriteSample(image, "oci-dir", Compression::kGzip);
  std::shared_ptr<LazyImage> lazy = LazyImage::Open(image, ViewOptions{});
  lazy->WaitTree();
  MountStatus status = StatusOf(*lazy, image + ":latest", 42);
  CHECK(status.state == MountStatus::State::kComplete);
  CHECK(status.error.empty());
  CHECK(status.Percent() == 100);
  REQUIRE(status.layers.size() == lazy->layer_count());
  CHECK(status.LayersReady() == status.layers.size());
  for (size_t k = 0; k < status.layers.size(); ++k) {
    CHECK(status.layers[k].digest == lazy->image().layers[k].digest);
    CHECK(status.layers[k].total == lazy->image().layers[k].blob->Size());
  }
  CheckSame(DecodeMountStatus(EncodeMountStatus(status), "test"), status);

  // One layer damaged: the mount is failed with that layer's error, the others are ready.
  std::string damaged = dir / "damaged";
  testing::WriteOneLayerImage(damaged, testing::RichLayerEntries(1 << 20), "oci-dir",
                              Compression::kGzip);
  std::string blob = testing::LargestBlob(damaged);
  std::string bytes = testing::ReadFileBytes(blob);
  bytes[bytes.size() - 8] = static_cast<char>(bytes[bytes.size() - 8] ^ 0xff);  // the CRC-32
  testing::WriteFileBytes(blob, bytes);
  lazy = LazyImage::Open(damaged, ViewOptions{});
  CHECK_THROWS_AS(lazy->WaitTree(), Error);
  REQUIRE(lazy->FirstFailure().has_value());
  status = StatusOf(*lazy, damaged, 7);
  CHECK(status.state == MountStatus::State::kFailed);
  CHECK_THAT(status.error, Catch::Contains("layer 1") && Catch::Contains("CRC-32"));
  CHECK(status.error == lazy->FirstFailure()->message());
  REQUIRE(status.layers.size() == 1);
  CHECK(status.layers[0].state == LayerProgress::State::kFailed);
  CHECK(status.LayersReady() == 0);
  CheckSame(DecodeMountStatus(EncodeMountStatus(status), "test"), status);
}

TEST_CASE("mount status: the document fits an attribute, whatever the layers", "[mount-status]") {
  MountStatus status;
  status.image = "/images/" + std::string(300, 'x');
  status.pid = 1;
  status.state = MountStatus::State::kFailed;
  status.error = std::string(5000, 'e');
  for (size_t layers : {10u, 400u, 5000u}) {
    status.layers.clear();
    for (size_t k = 0; k < layers; ++k) {
      MountStatus::Layer layer;
      layer.digest = "sha256:" + std::string(64, 'a');
      layer.state = LayerProgress::State::kIndexing;
      layer.done = k;
      layer.total = 1000000 + k;
      layer.error = k % 2 == 0 ? std::string(2000, 'w') : "";
      status.layers.push_back(layer);
    }
    std::string text = EncodeMountStatus(status);
    CHECK(text.size() <= kMaxMountStatusBytes);
    MountStatus back = DecodeMountStatus(text, "test");
    CHECK(back.image == status.image);
    CHECK(back.state == MountStatus::State::kFailed);
    CHECK(back.error.size() < status.error.size());
    CHECK(back.error.starts_with(std::string(1000, 'e')));
    if (layers == 10) CHECK(back.layers[3].digest == status.layers[3].digest);
    if (layers < 5000) CHECK(back.layers.size() == layers);
  }
}

TEST_CASE("mount status: what is not a status document is refused", "[mount-status]") {
  for (const char* text : {"", "complete", "[]", "{\"image\":\"/x\"}",
                           "{\"image\":\"/x\",\"pid\":1,\"state\":\"done\",\"layers\":[]}",
                           "{\"image\":\"/x\",\"pid\":\"1\",\"state\":\"complete\"}",
                           "{\"image\":\"/x\",\"pid\":1,\"state\":\"complete\",\"layers\":[1]}",
                           "{\"image\":\"/x\",\"pid\":1,\"state\":\"complete\",\"layers\":"
                           "[{\"state\":\"ready\",\"done\":-1}]}"}) {
    INFO(text);
    CHECK_THROWS_AS(DecodeMountStatus(text, "test"), Error);
  }
  MountStatus minimal =
      DecodeMountStatus("{\"image\":\"/x\",\"pid\":3,\"state\":\"indexing\"}", "test");
  CHECK(minimal.state == MountStatus::State::kIndexing);
  CHECK(minimal.layers.empty());
  CHECK(minimal.Percent() == 0);
}

}  // namespace imgmount
