// The index cache through OpenImageView: a layer shared by two images is indexed once, every
// format and codec comes back identical from the cache, damaged entries are rebuilt with a
// warning, zstd local copies and compressed archives are kept too, and an entry whose digest
// could not be verified never serves another image.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "index/cache/cache_dir.h"
#include "index/cache/index_cache.h"
#include "layers/base/error.h"
#include "layers/source/basic_sources.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount {
namespace {

using namespace fixture;

using testing::CountContaining;
using testing::Opened;
using testing::OpenWithCache;
using testing::TempDir;

bool AnyContains(const std::vector<std::string>& lines, const std::string& part) {
  return CountContaining(lines, part) > 0;
}

TarEntry File(const std::string& path, const std::string& content) {
  return testing::PlainFile(path, content);
}

DecodeOptions SmallSpans() {
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  return options;
}

}  // namespace

TEST_CASE("a base layer shared by two images is indexed once", "[index-cache]") {
  TempDir dir;
  testing::WriteSample(dir / "sample", "oci-dir", Compression::kGzip);
  testing::WriteSample(dir / "plus", "oci-dir", Compression::kGzip, true);
  std::string cache = dir / "cache";
  Opened reference = OpenWithCache(dir / "plus", "");
  CHECK(reference.from_cache == 0);

  Opened first = OpenWithCache(dir / "sample", cache);
  CHECK(first.from_cache == 0);
  CHECK(first.indexed >= 3);
  CHECK_FALSE(AnyContains(first.warnings, "cache"));
  Opened second = OpenWithCache(dir / "plus", cache);
  CHECK(second.from_cache == first.indexed);  // every layer of sample
  CHECK(second.indexed == 1);                 // only the layer sample-plus adds
  CHECK(second.tree == reference.tree);
  CHECK(AnyContains(second.notes, "index loaded from cache"));
  Opened again = OpenWithCache(dir / "sample", cache);
  CHECK(again.indexed == 0);
  CHECK(again.tree == first.tree);
  CHECK(testing::FilesEnding(cache, ".idx").size() == first.indexed + 1);
  CHECK(testing::FilesEnding(cache, "CACHEDIR.TAG").size() == 1);
}

TEST_CASE("every format and codec comes back identical from the cache", "[index-cache]") {
  struct Case {
    const char* format;
    Compression layers;
    Compression outer;
  };
  for (Case c : {Case{"docker-legacy", Compression::kNone, Compression::kNone},
                 Case{"docker-oci", Compression::kGzip, Compression::kGzip},
                 Case{"oci-archive", Compression::kZstdMulti, Compression::kZstd},
                 Case{"oci-dir", Compression::kZstd, Compression::kNone},
                 Case{"docker-archive", Compression::kGzipMulti, Compression::kNone}}) {
    INFO(c.format << " " << CompressionName(c.layers) << " outer " << CompressionName(c.outer));
    TempDir dir;
    std::string image = dir / "image";
    testing::WriteSample(image, c.format, c.layers, false, c.outer);
    Opened plain = OpenWithCache(image, "", SmallSpans());
    Opened cold = OpenWithCache(image, dir / "cache", SmallSpans());
    Opened warm = OpenWithCache(image, dir / "cache", SmallSpans());
    CHECK(cold.tree == plain.tree);
    CHECK(warm.tree == plain.tree);
    CHECK(cold.indexed > 0);
    CHECK(warm.indexed == 0);
    // docker-legacy names the repeated layer by path, so its second copy may already hit.
    CHECK(warm.from_cache == cold.indexed + cold.from_cache);
    CHECK_FALSE(AnyContains(warm.warnings, "cache"));
    bool outer = c.outer != Compression::kNone;
    CHECK(AnyContains(warm.notes, "archive") == outer);
  }
}

TEST_CASE("damaged cache entries are rebuilt with a warning", "[index-cache]") {
  TempDir dir;
  std::string image = dir / "image.tar";
  std::string cache = dir / "cache";
  testing::WriteSample(image, "docker-oci", Compression::kGzip, false, Compression::kGzip);
  Opened cold = OpenWithCache(image, cache);
  std::vector<std::string> files = testing::FilesEnding(cache, ".idx");
  REQUIRE(files.size() >= 4);
  // One entry each: flipped byte, truncated, older version, foreign kind, emptied.
  for (size_t i = 0; i < files.size(); ++i) {
    std::string path = cache + "/" + files[i];
    std::string bytes = testing::ReadFileBytes(path);
    switch (i % 5) {
      case 0:
        bytes[bytes.size() / 2] ^= 0x20;
        break;
      case 1:
        bytes.resize(bytes.size() - 9);
        break;
      case 2:
        bytes[8] = 0;
        break;
      case 3:
        bytes.replace(0, 8, files[i].starts_with("archive") ? "IMGMLAYR" : "IMGMARCH");
        break;
      case 4:
        bytes.clear();
        break;
    }
    testing::WriteFileBytes(path, bytes);
  }
  Opened damaged = OpenWithCache(image, cache);
  CHECK(damaged.tree == cold.tree);
  CHECK(damaged.from_cache == 0);
  CHECK(CountContaining(damaged.warnings, "is unusable") == files.size());
  Opened repaired = OpenWithCache(image, cache);
  CHECK(repaired.tree == cold.tree);
  CHECK(repaired.indexed == 0);
  CHECK_FALSE(AnyContains(repaired.warnings, "cache"));
  CHECK(testing::FilesEnding(cache, ".idx").size() == files.size());
  for (const std::string& name : testing::FilesEnding(cache, "")) {
    CHECK(name.find(".tmp.") == std::string::npos);
  }
}

TEST_CASE("a zstd single-frame layer keeps its local copy in the cache", "[index-cache]") {
  TempDir dir;
  std::string image = dir / "image";
  std::string cache = dir / "cache";
  testing::WriteOneLayerImage(image, testing::RichLayerEntries(3 << 20), "oci-dir",
                              Compression::kZstd);
  Opened plain = OpenWithCache(image, "", SmallSpans());
  Opened cold = OpenWithCache(image, cache, SmallSpans());
  auto copies = testing::FilesEnding(cache, ".zst");
  REQUIRE(copies.size() == 1);
  Opened warm = OpenWithCache(image, cache, SmallSpans());
  CHECK(warm.from_cache == 1);
  CHECK(warm.tree == plain.tree);
  CHECK(cold.tree == plain.tree);

  // A truncated copy is noticed when loading, and the entry rebuilt with a new copy.
  REQUIRE(::truncate((cache + "/" + copies[0]).c_str(), 1000) == 0);
  Opened truncated = OpenWithCache(image, cache, SmallSpans());
  CHECK(truncated.from_cache == 0);
  CHECK(AnyContains(truncated.warnings, "local copy"));
  CHECK(truncated.tree == plain.tree);
  auto rebuilt = testing::FilesEnding(cache, ".zst");
  REQUIRE(rebuilt.size() == 1);
  CHECK(rebuilt[0] != copies[0]);
  // A missing copy too.
  std::filesystem::remove(cache + "/" + rebuilt[0]);
  Opened missing = OpenWithCache(image, cache, SmallSpans());
  CHECK(missing.from_cache == 0);
  CHECK(missing.tree == plain.tree);
  CHECK(OpenWithCache(image, cache, SmallSpans()).from_cache == 1);
}

TEST_CASE("an unverified layer index serves only the image file it came from", "[index-cache]") {
  TempDir dir;
  std::string cache = dir / "cache";
  // A large file makes indexing skip data, so an uncompressed layer's digest is not verified.
  testing::WriteOneLayerImage(dir / "a.tar", testing::RichLayerEntries(1 << 20), "docker-oci",
                              Compression::kNone);
  std::filesystem::copy_file(dir / "a.tar", dir / "b.tar");
  Opened a = OpenWithCache(dir / "a.tar", cache);
  CHECK(a.indexed == 1);
  CHECK(testing::FilesEnding(cache, ".idx").size() == 1);
  CHECK(testing::FilesEnding(cache, ".idx")[0].starts_with("bound-"));
  CHECK(OpenWithCache(dir / "a.tar", cache).from_cache == 1);
  Opened b = OpenWithCache(dir / "b.tar", cache);
  CHECK(b.indexed == 1);
  CHECK(b.tree == a.tree);

  // A blob that claims another layer's digest never gets that layer's index.
  IndexCache index_cache(cache, {});
  LayerBlob honest =
      testing::MakeBlob(BuildTar(testing::RichLayerEntries(1 << 20)), Compression::kNone);
  LayerBlob liar =
      testing::MakeBlob(BuildTar({File("x", std::string(1 << 20, 'x'))}), Compression::kNone);
  liar.digest = honest.digest;
  liar.diff_id = honest.diff_id;
  auto first = index_cache.Layer({&honest, "honest", "origin-1", "/honest", {}, {}, {}});
  auto second = index_cache.Layer({&liar, "liar", "origin-2", "/liar", {}, {}, {}});
  CHECK_FALSE(second.from_cache);
  CHECK(second.index->size() == 1);
  CHECK(first.index->size() > 1);
  // And a compressed liar is caught by its digest.
  LayerBlob zipped = testing::MakeBlob(BuildTar({File("y", "y")}), Compression::kGzip);
  zipped.digest = honest.digest;
  CHECK_THROWS_AS(index_cache.Layer({&zipped, "zipped", "origin-3", "/z", {}, {}, {}}), Error);
}

TEST_CASE("an image whose blob file changed since its last use is indexed again", "[index-cache]") {
  TempDir dir;
  std::string cache = dir / "cache";
  std::vector<std::string> warnings;
  IndexCache index_cache(cache, [&](const std::string& m) { warnings.push_back(m); });
  LayerBlob blob =
      testing::MakeBlob(BuildTar(testing::RichLayerEntries(1 << 20)), Compression::kGzip);
  auto use = [&](const std::string& image, const std::string& identity) {
    return index_cache.Layer({&blob, "layer 1", "", image, identity, {}, {}}).from_cache;
  };
  CHECK_FALSE(use("/a", "7:100:5.000000001"));
  CHECK(use("/a", "7:100:5.000000001"));
  CHECK(warnings.empty());
  // The same image with its file modified (mtime), replaced (inode) or resized: indexed again,
  // with a warning that says why; the new identity is then the one recorded.
  for (const char* changed : {"7:100:5.000000002", "8:100:5.000000002", "8:101:5.000000002"}) {
    CHECK_FALSE(use("/a", changed));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("changed since this image last used it") != std::string::npos);
    warnings.clear();
    CHECK(use("/a", changed));
  }
  // Another image sharing the layer by digest has its own record; an unknown identity (a file
  // that could not be stat()ed) checks nothing.
  CHECK(use("/b", "9:100:1.0"));
  CHECK(use("/a", ""));
  CHECK(warnings.empty());
  std::vector<UseRecord> uses = ReadUses(cache + "/" + *SharedStem(blob.digest) + ".used");
  REQUIRE(uses.size() == 2);
  CHECK(uses[1].image == "/b");
  CHECK(uses[1].blob == "9:100:1.0");
}

TEST_CASE("a shared entry serves a new image only if its blob hashes to the digest",
          "[index-cache]") {
  TempDir dir;
  IndexCache index_cache(dir / "cache", {});
  std::string tar = BuildTar(testing::RichLayerEntries(1 << 20));
  LayerBlob genuine = testing::MakeBlob(tar, Compression::kGzip);
  auto use = [&](const LayerBlob& blob, const std::string& image) {
    return index_cache.Layer({&blob, "layer 1", "", image, "7:100:5.0", {}, {}}).from_cache;
  };
  CHECK_FALSE(use(genuine, "/a"));
  // A crafted image claims the same digest for a blob of the same size and content but other
  // bytes (another gzip MTIME): it gets the digest mismatch indexing would give it, not the
  // genuine blob's table of contents.
  std::string bytes = Compress(tar, Compression::kGzip);
  bytes[4] = static_cast<char>(bytes[4] ^ 1);
  LayerBlob forged = genuine;
  forged.blob = std::make_shared<MemorySource>(bytes, "forged");
  try {
    use(forged, "/b");
    FAIL("a blob claiming another's digest was served from that one's entry");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK(std::string(e.what()).find("blob digest mismatch") != std::string::npos);
  }
  // The genuine blob in another image is checked once, then served from the entry.
  CHECK(use(genuine, "/c"));
  CHECK(use(genuine, "/c"));
}

TEST_CASE("use records of older versions and odd image names read back", "[index-cache]") {
  TempDir dir;
  std::string used = dir / "x.used";
  {
    std::FILE* f = std::fopen(used.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("1000 /an/old/image\n", f);  // written before blob identities were recorded
    std::fclose(f);
  }
  std::string why;
  REQUIRE(RecordUse(used, "/odd\tname%\n", "1:2:3.4", 2000, &why));
  std::vector<UseRecord> uses = ReadUses(used);
  REQUIRE(uses.size() == 2);
  CHECK(uses[0].time == 2000);
  CHECK(uses[0].image == "/odd\tname%\n");
  CHECK(uses[0].blob == "1:2:3.4");
  CHECK(uses[1].time == 1000);
  CHECK(uses[1].image == "/an/old/image");
  CHECK(uses[1].blob.empty());
}

TEST_CASE("a compressed image archive's own index is cached", "[index-cache]") {
  TempDir dir;
  std::string image = dir / "node.tar.gz";
  std::string cache = dir / "cache";
  testing::WriteSample(image, "docker-legacy", Compression::kNone, false, Compression::kGzip);
  Opened cold = OpenWithCache(image, cache);
  CHECK(AnyContains(cold.notes, "archive " + image + ": indexed in"));
  auto archives = testing::FilesEnding(cache, ".idx");
  Opened warm = OpenWithCache(image, cache);
  CHECK(AnyContains(warm.notes, "archive " + image + ": index loaded from cache"));
  CHECK(warm.indexed == 0);
  CHECK(warm.tree == cold.tree);
  // Touching the file changes its identity: the archive is indexed again, its layers are not.
  REQUIRE(::utimensat(AT_FDCWD, image.c_str(), nullptr, 0) == 0);
  Opened touched = OpenWithCache(image, cache);
  CHECK(AnyContains(touched.notes, "archive " + image + ": indexed in"));
  CHECK(touched.tree == cold.tree);
}

TEST_CASE("a single-frame zstd archive keeps its local copy in the cache", "[index-cache]") {
  TempDir dir;
  std::string cache = dir / "cache";
  // An uncompressed 10 MiB layer in an OCI archive compressed as one zstd frame: the outer
  // stream needs a local copy (its frame is larger than two 4 MiB spans).
  testing::WriteOneLayerImage(dir / "image.tar", testing::RichLayerEntries(10 << 20), "oci-archive",
                              Compression::kNone);
  std::string image = dir / "image.tar.zst";
  testing::WriteFileBytes(image,
                          Compress(testing::ReadFileBytes(dir / "image.tar"), Compression::kZstd));
  std::string reference = OpenWithCache(dir / "image.tar", "").tree;
  Opened cold = OpenWithCache(image, cache);
  CHECK(cold.tree == reference);
  auto copies = testing::FilesEnding(cache, ".zst");
  REQUIRE(copies.size() == 1);
  CHECK(copies[0].starts_with("archive-"));
  Opened warm = OpenWithCache(image, cache);
  CHECK(AnyContains(warm.notes, "archive " + image + ": index loaded from cache"));
  CHECK(warm.tree == reference);
  CHECK(warm.indexed == 0);
}

}  // namespace imgmount
