// Content hashes for diff: a member is hashed once (its logical content, holes as zeros), the hash
// is kept beside its layer's index in the cache and reused by a later run without reading the
// member, a damaged, truncated or foreign hash file is ignored and rebuilt, a cache that cannot
// be written keeps hashes in memory only, and `cache ls|clear` count and remove the files.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "index/cache/cache_admin.h"
#include "index/cache/index_cache.h"
#include "index/view/content_hashes.h"
#include "layers/base/hasher.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount {
namespace {

using namespace fixture;

using testing::TempDir;

// The entries hashed here: two equal files, one of the same size that differs in its last byte,
// an empty one, one larger than a read buffer and a sparse one.
std::vector<TarEntry> HashedEntries() {
  std::string text(5000, 'x');
  std::string other = text;
  other.back() = 'y';
  TarEntry sparse = testing::PlainFile("sparse", std::string(300000, '\0'));
  sparse.content.replace(0, 5, "start");
  sparse.content.replace(200000, 3, "mid");
  sparse.sparse = std::vector<SparseChunk>{{0, 4096}, {196608, 8192}, {300000, 0}};
  std::string big;
  for (int i = 0; big.size() < (3u << 20); ++i) big += std::to_string(i) + "\n";
  return {testing::PlainFile("a", text),  testing::PlainFile("b", text),
          testing::PlainFile("c", other), testing::PlainFile("empty", ""),
          testing::PlainFile("big", big), sparse};
}

std::string Hex(const ContentHash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (uint8_t byte : hash) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

std::string Sha256Of(const std::string& content) {
  Hasher sha;
  sha.Update(std::as_bytes(std::span(content)));
  return sha.Finish();
}

uint32_t MemberNamed(const LayerIndex& layer, std::string_view path) {
  for (uint32_t i = 0; i < layer.size(); ++i) {
    if (layer.path(i) == path) return i;
  }
  FAIL("no member " << path);
  return 0;
}

// The layer of HashedEntries() through a cache in `cache` ("" for none).
struct CachedLayer {
  LayerBlob blob;
  std::shared_ptr<const LayerIndex> index;
  bool from_cache = false;
};

CachedLayer Open(const LayerBlob& blob, const std::string& cache, const std::string& origin) {
  CachedLayer out{blob, nullptr, false};
  IndexCache own(cache, {});
  auto result = own.Layer({&out.blob, "layer", origin, "/image", {}, {}, {}});
  out.index = result.index;
  out.from_cache = result.from_cache;
  return out;
}

// A cache in a temporary directory holding the index of HashedEntries() as a gzip layer.
struct CachedGzipLayer {
  TempDir dir;
  std::string cache = dir / "cache";
  LayerBlob blob = testing::MakeBlob(BuildTar(HashedEntries()), Compression::kGzip);
  CachedLayer opened = Open(blob, cache, "");
};

// Hashes every file of HashedEntries() in `layer` with `hashes`, checking them on the way.
void HashAll(ContentHashes& hashes, const LayerIndex& layer) {
  for (const TarEntry& entry : HashedEntries()) {
    INFO(entry.path);
    CHECK(Hex(hashes.Of(layer, MemberNamed(layer, entry.path))) == Sha256Of(entry.content));
  }
}

std::string SumsPath(const LayerIndex& layer) {
  return layer.cache_entry().dir + "/" + layer.cache_entry().stem + ".sums";
}

struct Collected {
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
};

ContentHashes Collecting(Collected& c) {
  return ContentHashes([&c](const std::string& m) { c.warnings.push_back(m); },
                       [&c](const std::string& m) { c.notes.push_back(m); });
}

// Hashes every file of `layer` and saves, where nothing can be kept: what was reported.
Collected HashUnsaved(const LayerIndex& layer) {
  Collected c;
  ContentHashes hashes = Collecting(c);
  HashAll(hashes, layer);
  hashes.Save();
  CHECK(hashes.counts().files_written == 0);
  return c;
}

}  // namespace

TEST_CASE("content hashes are computed once and then reused from the cache", "[content-hashes]") {
  TempDir dir;
  std::string cache = dir / "cache";
  // A gzip layer is shared by its verified digest, an uncompressed one is bound to its origin.
  for (Compression method : {Compression::kGzip, Compression::kNone}) {
    INFO(static_cast<int>(method));
    LayerBlob blob = testing::MakeBlob(BuildTar(HashedEntries()), method);
    CachedLayer first = Open(blob, cache, "image-file-identity");
    REQUIRE_FALSE(first.index->cache_entry().stem.empty());
    const LayerIndex& layer = *first.index;

    ContentHashes hashes;
    HashAll(hashes, layer);
    // Six files hashed (the empty one without reading), nothing reused yet.
    CHECK(hashes.counts().computed == 6);
    CHECK(hashes.counts().reused == 0);
    uint64_t read = hashes.counts().bytes_read;
    CHECK(read >= (3u << 20) + 300000 + 15000);
    CHECK(hashes.Of(layer, MemberNamed(layer, "a")) == hashes.Of(layer, MemberNamed(layer, "b")));
    CHECK(hashes.Of(layer, MemberNamed(layer, "a")) != hashes.Of(layer, MemberNamed(layer, "c")));
    CHECK(hashes.counts().computed == 6);  // the lookups above were answered from memory
    CHECK(hashes.counts().bytes_read == read);
    hashes.Save();
    CHECK(hashes.counts().files_written == 1);
    CHECK(std::filesystem::exists(SumsPath(layer)));
    hashes.Save();  // nothing new: nothing written
    CHECK(hashes.counts().files_written == 1);

    // Another process: the index comes from the cache, the hashes from the file beside it.
    CachedLayer again = Open(blob, cache, "image-file-identity");
    CHECK(again.from_cache);
    CHECK(again.index->cache_entry().stem == layer.cache_entry().stem);
    ContentHashes later;
    HashAll(later, *again.index);
    CHECK(later.counts().computed == 0);
    CHECK(later.counts().bytes_read == 0);
    CHECK(later.counts().reused == 6);
    later.Save();
    CHECK(later.counts().files_written == 0);
  }
}

TEST_CASE("a damaged, truncated or foreign hash file is rebuilt", "[content-hashes]") {
  CachedGzipLayer setup;
  const std::string& cache = setup.cache;
  const CachedLayer& opened = setup.opened;
  const LayerIndex& layer = *opened.index;
  {
    ContentHashes hashes;
    HashAll(hashes, layer);
    hashes.Save();
  }
  std::string good = testing::ReadFileBytes(SumsPath(layer));
  REQUIRE(good.size() > 100);
  // A file of another layer's entry, valid in itself.
  std::vector<TarEntry> other_entries = HashedEntries();
  other_entries.push_back(testing::PlainFile("more", "more"));
  LayerBlob other_blob = testing::MakeBlob(BuildTar(other_entries), Compression::kGzip);
  CachedLayer other = Open(other_blob, cache, "");
  {
    ContentHashes hashes;
    hashes.Of(*other.index, MemberNamed(*other.index, "a"));
    hashes.Save();
  }
  std::string foreign = testing::ReadFileBytes(SumsPath(*other.index));
  // A well-formed file whose record names the member's data at another offset.
  std::vector<HashRecord> records{MakeHashRecord(layer, MemberNamed(layer, "a"), {})};
  records[0].data_offset += 512;
  std::string forged_path = setup.dir / "forged.sums";
  std::string why;
  REQUIRE(WriteContentHashFile(forged_path, layer.cache_entry().stem, layer.size(), records, &why));

  std::string flipped = good;
  flipped[good.size() - 10] ^= 1;
  for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"flipped", flipped},
           {"truncated", good.substr(0, 70)},
           {"empty", ""},
           {"foreign", foreign},
           {"forged", testing::ReadFileBytes(forged_path)},
           {"garbage", std::string(4096, 'g')}}) {
    INFO(what);
    testing::WriteFileBytes(SumsPath(layer), bytes);
    Collected c;
    ContentHashes hashes = Collecting(c);
    HashAll(hashes, layer);
    CHECK(hashes.counts().computed == 6);
    CHECK(testing::CountContaining(c.warnings, "are unusable") == 1);
    hashes.Save();
    CHECK(hashes.counts().files_written == 1);
    // The rebuilt file serves the next run.
    ContentHashes next;
    HashAll(next, layer);
    CHECK(next.counts().computed == 0);
  }
}

TEST_CASE("hashes of a cache that cannot be written stay in memory", "[content-hashes][root]") {
  CachedGzipLayer setup;
  const std::string& cache = setup.cache;
  const CachedLayer& opened = setup.opened;

  SECTION("no cache entry (--no-cache)") {
    CachedLayer uncached = Open(setup.blob, "", "");
    CHECK(uncached.index->cache_entry().dir.empty());
    Collected c = HashUnsaved(*uncached.index);
    CHECK(c.notes.empty());
    CHECK(testing::FilesEnding(cache, ".sums").empty());
  }
  SECTION("a read-only bind mount") {
    testing::TestMount bind(cache.c_str(), cache, nullptr, MS_BIND, nullptr);
    if (!bind.ok()) {
      WARN("skipped: cannot bind-mount (needs root)");
      return;
    }
    testing::TestMount readonly(nullptr, cache, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
    REQUIRE(readonly.ok());
    Collected c = HashUnsaved(*opened.index);
    CHECK(testing::CountContaining(c.notes, "not kept") == 1);
    CHECK(c.warnings.empty());
    CHECK(testing::FilesEnding(cache, ".sums").empty());
  }
  SECTION("a directory that is gone") {
    std::filesystem::remove_all(cache);
    Collected c = HashUnsaved(*opened.index);
    CHECK(testing::CountContaining(c.notes, "not kept") == 1);
  }
}

TEST_CASE("cache ls counts kept hashes and clear removes them", "[content-hashes]") {
  CachedGzipLayer setup;
  const std::string& cache = setup.cache;
  const CachedLayer& opened = setup.opened;
  ContentHashes hashes;
  hashes.Of(*opened.index, MemberNamed(*opened.index, "a"));
  hashes.Of(*opened.index, MemberNamed(*opened.index, "big"));
  hashes.Save();
  std::vector<CacheEntry> entries = ListCache(cache);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].hashes == 2);
  CHECK(entries[0].problem.empty());
  CHECK(entries[0].bytes >= std::filesystem::file_size(SumsPath(*opened.index)));
  // A damaged hash file is no problem of the entry: gc keeps the index.
  testing::WriteFileBytes(SumsPath(*opened.index), "damaged");
  CHECK(ListCache(cache)[0].problem.empty());
  CHECK(ListCache(cache)[0].hashes == 0);
  CacheRemoval removed = RemoveCacheEntries(cache, [](const CacheEntry&) { return true; });
  CHECK(removed.removed == 1);
  CHECK(testing::FilesEnding(cache, ".sums").empty());
  CHECK(testing::FilesEnding(cache, ".idx").empty());
}

}  // namespace imgmount
