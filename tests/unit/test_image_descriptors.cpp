// Descriptors as umoci and go-containerregistry check them, in every container format that has
// them (OCI layout directory, OCI archive, docker save of Docker >= 25, containerd export): a
// blob whose length is not its descriptor's size is an integrity error naming it and both
// sizes; a size that is not a non-negative integer and a schemaVersion that is not the number 2
// make a bad image; a missing blob stays missing, and one of an unselected platform is no error.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#include "layers/base/error.h"
#include "layers/image/image.h"
#include "tests/support/codec.h"
#include "tests/support/image_layout.h"
#include "tests/support/scenarios.h"
#include "tests/support/tar_writer.h"

namespace imgmount {
namespace {

using fixture::Sha256Digest;

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";

// "size" values written into the descriptors: "" is the blob's true size.
struct Sizes {
  std::string layer, config, manifest, nested;
};

// Where each document of the image stands, with what it says of its schemaVersion.
struct ImageText {
  Sizes sizes;
  std::string manifest_version = "2", index_version = "2", nested_version = "2";
  bool nested = false;          // index.json -> nested index -> manifests (containerd)
  bool other_platform = false;  // the nested index also lists a linux/arm64 manifest, missing
  bool docker = false;          // manifest.json beside the layout (docker save, Docker >= 25)
  bool drop_layer = false;      // the layer blob is not in the image
  std::string layer_extra;      // other keys of the layer descriptor, e.g. ,"mediaType":1
};

std::string Size(const std::string& stated, const std::string& blob) {
  return stated.empty() ? std::to_string(blob.size()) : stated;
}

std::string Descriptor(const char* type, const std::string& digest, const std::string& size,
                       const std::string& extra = "") {
  return std::string(R"({"mediaType":")") + type + R"(","digest":")" + digest + R"(","size":)" +
         size + extra + "}";
}

const std::string& LayerTar() {
  static const std::string tar = fixture::BuildTar(
      {fixture::DirEntry("etc"), fixture::FileEntry("etc/hello", "hello from the layer\n")});
  return tar;
}

// The files of a one-layer image as `text` says.
fixture::Layout Build(const ImageText& text) {
  fixture::Layout layout;
  const std::string& layer = LayerTar();
  std::string layer_digest = Sha256Digest(layer);
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers",)"
                       R"("diff_ids":[")" +
                       layer_digest + R"("]}})";
  std::string config_digest = Sha256Digest(config);
  std::string manifest = R"({"schemaVersion":)" + text.manifest_version + R"(,"mediaType":")" +
                         kManifestType + R"(","config":)" +
                         Descriptor("application/vnd.oci.image.config.v1+json", config_digest,
                                    Size(text.sizes.config, config)) +
                         R"(,"layers":[)" +
                         Descriptor("application/vnd.oci.image.layer.v1.tar", layer_digest,
                                    Size(text.sizes.layer, layer), text.layer_extra) +
                         "]}";
  std::string manifest_digest = Sha256Digest(manifest);
  std::string platform = R"(,"platform":{"os":"linux","architecture":"amd64"})";
  std::string entry =
      Descriptor(kManifestType, manifest_digest, Size(text.sizes.manifest, manifest), platform);
  if (text.other_platform) {
    entry += "," + Descriptor(kManifestType, "sha256:" + std::string(64, 'e'), "1234",
                              R"(,"platform":{"os":"linux","architecture":"arm64"})");
  }
  std::string top = entry;
  if (text.nested) {
    std::string nested = R"({"schemaVersion":)" + text.nested_version + R"(,"mediaType":")" +
                         kIndexType + R"(","manifests":[)" + entry + "]}";
    top = Descriptor(kIndexType, Sha256Digest(nested), Size(text.sizes.nested, nested));
    layout.AddBlob(Sha256Digest(nested), nested);
  }
  layout.AddFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  layout.AddFile("index.json", R"({"schemaVersion":)" + text.index_version + R"(,"mediaType":")" +
                                   kIndexType + R"(","manifests":[)" + top + "]}");
  if (text.docker) {
    layout.AddFile("manifest.json", R"([{"Config":")" + fixture::BlobPath(config_digest) +
                                        R"(","RepoTags":["desc:latest"],"Layers":[")" +
                                        fixture::BlobPath(layer_digest) + R"("]}])");
  }
  layout.AddBlob(manifest_digest, manifest);
  layout.AddBlob(config_digest, config);
  if (!text.drop_layer) layout.AddBlob(layer_digest, layer);
  return layout;
}

// A scratch directory removed at the end of the test.
struct Scratch {
  Scratch() {
    char pattern[] = "/tmp/imgmount-desc-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~Scratch() { std::filesystem::remove_all(path); }
  std::string path;
};

enum class Container { kDirectory, kArchive };

// Reads the image as imgmount does; the error, if any, as "KIND: MESSAGE".
std::string ReadError(const ImageText& text, Container container, Image* out = nullptr) {
  Scratch scratch;
  fixture::Layout layout = Build(text);
  std::string path = scratch.path + "/image";
  if (container == Container::kDirectory) {
    layout.WriteTree(path);
  } else {
    std::ofstream(path, std::ios::binary) << layout.ToTar();
  }
  try {
    auto files = OpenImageFiles(path);
    Image image = ReadImage(*files, {});
    if (out != nullptr) *out = image;
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + ": " + e.what();
  }
  return "";
}

// Every container format with descriptors, as (name, text, container) triples.
void ForEachFormat(const std::function<void(const std::string&, ImageText, Container)>& check) {
  ImageText oci;
  check("OCI layout", oci, Container::kDirectory);
  check("OCI archive", oci, Container::kArchive);
  ImageText docker;
  docker.docker = true;
  check("docker save (Docker >= 25)", docker, Container::kArchive);
  ImageText containerd;
  containerd.docker = containerd.nested = containerd.other_platform = true;
  check("containerd export", containerd, Container::kArchive);
}

}  // namespace

TEST_CASE("true descriptor sizes read in every format", "[formats][descriptors]") {
  ForEachFormat([](const std::string& format, ImageText text, Container container) {
    INFO(format);
    Image image;
    CHECK(ReadError(text, container, &image).empty());
    REQUIRE(image.layers.size() == 1);
    CHECK(image.layers[0].blob->Size() == LayerTar().size());
  });
}

TEST_CASE("a blob whose length is not its descriptor's size is refused", "[formats][descriptors]") {
  std::string layer_size = std::to_string(LayerTar().size());
  ForEachFormat([&](const std::string& format, ImageText text, Container container) {
    INFO(format);
    ImageText layer = text;
    layer.sizes.layer = std::to_string(LayerTar().size() + 512);
    std::string error = ReadError(layer, container);
    CHECK_THAT(error, Catch::StartsWith("integrity: "));
    CHECK_THAT(error,
               Catch::Contains("layer 1 (blobs/sha256/" + Sha256Digest(LayerTar()).substr(7) +
                               "): blob size mismatch"));
    CHECK_THAT(error, Catch::Contains("says " + std::to_string(LayerTar().size() + 512) +
                                      " bytes, the blob has " + layer_size));

    ImageText config = text;
    config.sizes.config = "3";
    CHECK_THAT(ReadError(config, container),
               Catch::Matches("integrity: .*blobs/sha256/[0-9a-f]{64}: config size mismatch: its "
                              "descriptor says 3 bytes, the blob has [0-9]+"));

    ImageText manifest = text;
    manifest.sizes.manifest = "0";
    CHECK_THAT(
        ReadError(manifest, container),
        Catch::Matches("integrity: .*manifest size mismatch: its descriptor says 0 bytes.*"));
    if (text.nested) {
      ImageText nested = text;
      nested.sizes.nested = "99999";
      CHECK_THAT(ReadError(nested, container),
                 Catch::Matches("integrity: .*manifest size mismatch: .*says 99999 bytes.*"));
    }
  });
}

TEST_CASE("a size that is not a non-negative integer is a bad image", "[formats][descriptors]") {
  for (std::string bad : {"1e30", "-1", "\"12\"", "1.5", "12.0", "9223372036854775808", "null",
                          "true", "[1]", "{}"}) {
    ForEachFormat([&](const std::string& format, ImageText text, Container container) {
      INFO(format << ", size " << bad);
      for (std::string Sizes::*field : {&Sizes::layer, &Sizes::config, &Sizes::manifest}) {
        ImageText lie = text;
        lie.sizes.*field = bad;
        std::string error = ReadError(lie, container);
        CHECK_THAT(error, Catch::StartsWith("bad image: "));
        CHECK_THAT(error, Catch::Contains("is not a non-negative integer") ||
                              Catch::Contains("has no size"));
      }
    });
  }
  // The largest size Go's int64 holds is a size; it then does not match the blob.
  ImageText huge;
  huge.sizes.layer = "9223372036854775807";
  CHECK_THAT(ReadError(huge, Container::kDirectory), Catch::StartsWith("integrity: "));
}

TEST_CASE("schemaVersion must be the number 2", "[formats][descriptors]") {
  for (std::string bad : {"1", "3", "\"2\"", "2.0", "null", "[2]"}) {
    ForEachFormat([&](const std::string& format, ImageText text, Container container) {
      INFO(format << ", schemaVersion " << bad);
      for (std::string ImageText::*field :
           {&ImageText::manifest_version, &ImageText::index_version, &ImageText::nested_version}) {
        if (field == &ImageText::nested_version && !text.nested) continue;
        ImageText lie = text;
        lie.*field = bad;
        std::string error = ReadError(lie, container);
        CHECK_THAT(error, Catch::StartsWith("bad image: "));
        CHECK_THAT(error, Catch::Contains("schemaVersion"));
      }
    });
  }
}

TEST_CASE("other descriptor fields are type-checked", "[formats][descriptors]") {
  ImageText text;
  for (std::string extra : {R"(,"annotations":{"a":1})", R"(,"urls":"http://x")",
                            R"(,"annotations":[])", R"(,"urls":[1])"}) {
    INFO(extra);
    text.layer_extra = extra;
    CHECK_THAT(ReadError(text, Container::kDirectory), Catch::StartsWith("bad image: "));
  }
}

TEST_CASE("missing blobs are not size mismatches", "[formats][descriptors]") {
  ForEachFormat([](const std::string& format, ImageText text, Container container) {
    INFO(format);
    text.drop_layer = true;
    CHECK_THAT(ReadError(text, container), Catch::StartsWith("not found: "));
  });
  // The containerd export lists a linux/arm64 manifest that is not there, with a size that no
  // blob has: no error while linux/amd64 is chosen.
  ImageText containerd;
  containerd.docker = containerd.nested = containerd.other_platform = true;
  CHECK(ReadError(containerd, Container::kArchive).empty());
}

}  // namespace imgmount
