// ChunkStore: the on-disk chunk cache of registry blobs. Chunks come back as written, a damaged
// or torn file is dropped instead of returned, and trimming removes the least recently used
// chunks first, down to the limit.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "layers/registry/chunk_store.h"
#include "tests/unit/test_index_cache_support.h"

using namespace imgmount;
using imgmount::testing::TempDir;

namespace {

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string ChunkFile(const std::string& dir, uint64_t index) {
  return dir + "/chunks/sha256/" + kDigest.substr(7) + "/" + std::to_string(index);
}

// Sets the modification time (the last use) of a file to `seconds`.
void SetUsed(const std::string& path, int64_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

}  // namespace

TEST_CASE("chunk store returns chunks as written and drops damaged ones", "[chunk_store]") {
  TempDir dir;
  ChunkStore store(dir.path(), kDefaultChunkCacheLimit);
  std::string bytes(300000, 'x');
  bytes[12345] = 'y';
  CHECK_FALSE(store.Get(kDigest, 3));
  store.Put(kDigest, 3, bytes);
  REQUIRE(store.Has(kDigest, 3));
  CHECK(store.Get(kDigest, 3) == bytes);

  SECTION("a flipped byte on disk") {
    std::fstream f(ChunkFile(dir.path(), 3), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16 + 12345);
    f.put('z');
    f.flush();
    REQUIRE(f.good());
  }
  SECTION("a torn file") {
    REQUIRE(::truncate(ChunkFile(dir.path(), 3).c_str(), 1000) == 0);
  }
  CHECK_FALSE(store.Get(kDigest, 3));
  CHECK_FALSE(store.Has(kDigest, 3));
}

TEST_CASE("chunk store drops a chunk on request", "[chunk_store]") {
  TempDir dir;
  ChunkStore store(dir.path(), kDefaultChunkCacheLimit);
  store.Put(kDigest, 0, "abc");
  store.Drop(kDigest, 0);
  CHECK_FALSE(store.Get(kDigest, 0));
  CHECK(ListChunkCache(dir.path()).empty());
}

TEST_CASE("chunk cache trimming removes the least recently used first", "[chunk_store]") {
  TempDir dir;
  ChunkStore store(dir.path(), kDefaultChunkCacheLimit);
  std::string bytes(1000, 'c');
  for (uint64_t i = 0; i < 4; ++i) {
    store.Put(kDigest, i, bytes);
    SetUsed(ChunkFile(dir.path(), i), 1700000000 + static_cast<int64_t>(i));
  }
  auto listed = ListChunkCache(dir.path());
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].digest == kDigest);
  CHECK(listed[0].chunks == 4);
  CHECK(listed[0].last_used == 1700000003);

  // Room for two chunks (with their headers): the two most recently used stay.
  ChunkTrim trim = TrimChunkCache(dir.path(), 2 * 1016, 0);
  CHECK(trim.chunks == 2);
  CHECK(store.Has(kDigest, 2));
  CHECK(store.Has(kDigest, 3));
  CHECK_FALSE(store.Has(kDigest, 0));
  CHECK_FALSE(store.Has(kDigest, 1));

  // By age: chunks last used before the cutoff go.
  trim = TrimChunkCache(dir.path(), kDefaultChunkCacheLimit, 1700000003);
  CHECK(trim.chunks == 1);
  CHECK(store.Has(kDigest, 3));

  TrimChunkCache(dir.path(), 0, 0);
  CHECK(ListChunkCache(dir.path()).empty());
}

TEST_CASE("chunk cache size limit from the environment", "[chunk_store]") {
  ::setenv("IMGMOUNT_CHUNK_CACHE_SIZE", "64M", 1);
  CHECK(ChunkCacheLimit() == (uint64_t{64} << 20));
  ::setenv("IMGMOUNT_CHUNK_CACHE_SIZE", "12x", 1);
  CHECK_THROWS(ChunkCacheLimit());
  ::unsetenv("IMGMOUNT_CHUNK_CACHE_SIZE");
  CHECK(ChunkCacheLimit() == kDefaultChunkCacheLimit);
}

TEST_CASE("chunk store makes a cache directory that does not exist yet", "[chunk_store]") {
  TempDir dir;
  ChunkStore store(dir.path() + "/home/.cache/imgmount", kDefaultChunkCacheLimit);
  store.Put(kDigest, 1, "abc");
  CHECK(store.Get(kDigest, 1) == "abc");
}
