// The index cache under stress: two threads and two processes indexing one layer at once, a
// cache directory that cannot be written (a file in its place, a path under /proc, a read-only
// bind mount), a full filesystem, and the maintenance operations behind `imgmount cache`.
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "index/cache/cache_admin.h"
#include "index/cache/cache_dir.h"
#include "index/cache/index_cache.h"
#include "index/cache/index_file.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount {
namespace {

using namespace fixture;

using testing::CountContaining;
using testing::Opened;
using testing::OpenWithCache;
using testing::TempDir;
using testing::TestMount;

// Every .idx in `cache` reads back as a valid layer or archive index, and no temporary is left.
void CheckCacheFiles(const std::string& cache) {
  for (const std::string& name : testing::FilesEnding(cache, "")) {
    INFO(name);
    CHECK(name.find(".tmp.") == std::string::npos);
  }
  for (const CacheEntry& entry : ListCache(cache)) {
    INFO(entry.stem);
    CHECK(entry.problem.empty());
  }
}

}  // namespace

TEST_CASE("two threads indexing one layer index it once", "[index-cache][concurrency]") {
  TempDir dir;
  std::string cache = dir / "cache";
  LayerBlob blob =
      testing::MakeBlob(BuildTar(testing::RichLayerEntries(6 << 20)), Compression::kGzip);
  std::vector<IndexCache::LayerResult> results(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      IndexCache own(cache, {});  // as two processes would, each with its own cache object
      results[i] = own.Layer({&blob, "layer", "", "/image-" + std::to_string(i), {}, {}, {}});
    });
  }
  for (auto& t : threads) t.join();
  CHECK(results[0].from_cache + results[1].from_cache == 1);
  CHECK(testing::Dump(*results[0].index) == testing::Dump(*results[1].index));
  CHECK(testing::FilesEnding(cache, ".idx").size() == 1);
  CheckCacheFiles(cache);
  auto uses = ReadUses(cache + "/" + *SharedStem(blob.digest) + ".used");
  CHECK(uses.size() == 2);
}

TEST_CASE("two processes indexing one image index each layer once", "[index-cache][concurrency]") {
  TempDir dir;
  std::string image = dir / "image";
  std::string cache = dir / "cache";
  testing::WriteSample(image, "oci-dir", Compression::kGzip);
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<pid_t> children;
  std::fflush(nullptr);  // the children must not print the parent's buffered output again
  for (int i = 0; i < 2; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(go[1]);
      char byte;
      while (::read(go[0], &byte, 1) < 0) {
      }
      int code = 0;
      try {
        Opened opened = OpenWithCache(image, cache);
        code = static_cast<int>(opened.indexed);
      } catch (...) {
        code = 100;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // both start at once
  int indexed = 0;
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) < 100);
    indexed += WEXITSTATUS(status);
  }
  Opened after = OpenWithCache(image, cache);
  CHECK(after.indexed == 0);
  CHECK(static_cast<size_t>(indexed) == after.from_cache);  // each layer built by one process
  CHECK(after.tree == OpenWithCache(image, "").tree);
  CheckCacheFiles(cache);
}

TEST_CASE("a cache directory that cannot be made still gives a working view", "[index-cache]") {
  TempDir dir;
  std::string image = dir / "image";
  testing::WriteSample(image, "oci-dir", Compression::kGzip);
  std::string reference = OpenWithCache(image, "").tree;
  testing::WriteFileBytes(dir / "a-file", "not a directory");
  for (std::string cache : {dir / "a-file", dir / "a-file/cache", std::string("/proc/imgmount")}) {
    INFO(cache);
    Opened opened = OpenWithCache(image, cache);
    CHECK(opened.tree == reference);
    CHECK(opened.from_cache == 0);
    CHECK(CountContaining(opened.warnings, "index cache") == 1);
  }
}

TEST_CASE("a read-only cache directory serves what it has", "[index-cache][root]") {
  TempDir dir;
  std::string cache = dir / "cache";
  testing::WriteSample(dir / "sample", "oci-dir", Compression::kGzip);
  testing::WriteSample(dir / "plus", "oci-dir", Compression::kGzip, true);
  Opened first = OpenWithCache(dir / "sample", cache);
  TestMount bind(cache.c_str(), cache, nullptr, MS_BIND, nullptr);
  if (!bind.ok()) {
    WARN("skipped: cannot bind-mount (needs root)");
    return;
  }
  TestMount readonly(nullptr, cache, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
  REQUIRE(readonly.ok());
  Opened plus = OpenWithCache(dir / "plus", cache);
  CHECK(plus.from_cache == first.indexed);
  CHECK(plus.indexed == 1);
  CHECK(CountContaining(plus.warnings, "cannot write to the index cache") == 1);
  CHECK(plus.tree == OpenWithCache(dir / "plus", "").tree);
}

TEST_CASE("a full cache filesystem still gives a working view", "[index-cache][root]") {
  TempDir dir;
  std::string cache = dir / "cache";
  std::filesystem::create_directory(cache);
  TestMount tiny("tmpfs", cache, "tmpfs", 0, "size=64k");
  if (!tiny.ok()) {
    WARN("skipped: cannot mount a tmpfs (needs root)");
    return;
  }
  // 3000 members make an index of more than 240 KiB; a big zstd frame makes a local copy.
  std::vector<TarEntry> entries = testing::RichLayerEntries(3 << 20);
  for (int i = 0; i < 3000; ++i) {
    entries.push_back(testing::PlainFile("many/file-" + std::to_string(i), "x"));
  }
  std::string image = dir / "image";
  testing::WriteOneLayerImage(image, entries, "oci-dir", Compression::kZstd);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  Opened opened = OpenWithCache(image, cache, options);
  CHECK(opened.tree == OpenWithCache(image, "", options).tree);
  CHECK(CountContaining(opened.warnings, "cannot write to the index cache") == 1);
  CHECK(testing::FilesEnding(cache, ".idx").empty());
  CHECK(testing::FilesEnding(cache, ".zst").empty());
  CheckCacheFiles(cache);
}

TEST_CASE("cache ls, gc and clear", "[index-cache]") {
  TempDir dir;
  std::string cache = dir / "cache";
  testing::WriteSample(dir / "sample.tar.gz", "docker-oci", Compression::kZstd, false,
                       Compression::kGzip);
  testing::WriteSample(dir / "plus", "oci-dir", Compression::kZstd, true);
  OpenWithCache(dir / "sample.tar.gz", cache);
  OpenWithCache(dir / "plus", cache);
  std::vector<CacheEntry> entries = ListCache(cache);
  REQUIRE(entries.size() >= 6);
  size_t archives = 0;
  for (const CacheEntry& e : entries) {
    INFO(e.stem);
    CHECK(e.problem.empty());
    CHECK(e.members > 0);
    CHECK(e.bytes > 0);
    REQUIRE_FALSE(e.uses.empty());
    CHECK(e.last_used == e.uses.front().time);
    if (e.kind == "archive") {
      ++archives;
      CHECK(e.uses.front().image == dir / "sample.tar.gz");
    } else {
      CHECK(e.key.starts_with("sha256:"));
    }
  }
  CHECK(archives == 1);
  // The layers sample-plus shares with sample list both images.
  size_t shared = 0;
  for (const CacheEntry& e : entries) shared += e.uses.size() == 2 ? 1 : 0;
  CHECK(shared >= 3);

  // gc: only entries unused for longer than the cutoff, plus broken ones and leftovers.
  const CacheEntry& old = entries.back();
  testing::WriteFileBytes(cache + "/" + old.stem + ".used", "1000 /very/old/image\n");
  testing::WriteFileBytes(cache + "/sha256-" + std::string(64, 'a') + ".idx", "garbage");
  testing::WriteFileBytes(cache + "/unrelated.txt", "not ours");
  int64_t cutoff = static_cast<int64_t>(std::time(nullptr)) - 30 * 86400;
  CacheRemoval gc = RemoveCacheEntries(
      cache, [cutoff](const CacheEntry& e) { return !e.problem.empty() || e.last_used < cutoff; });
  CHECK(gc.removed == 2);
  CHECK(ListCache(cache).size() == entries.size() - 1);

  // clear: everything but an entry another process holds, and never files it did not make.
  std::string why;
  auto held = EntryLock::Acquire(cache, entries.front().stem, false, &why);
  REQUIRE(held);
  CacheRemoval clear = RemoveCacheEntries(cache, [](const CacheEntry&) { return true; });
  CHECK(clear.busy == 1);
  CHECK(clear.removed == entries.size() - 2);
  held.reset();
  clear = RemoveCacheEntries(cache, [](const CacheEntry&) { return true; });
  CHECK(clear.removed == 1);
  CHECK(ListCache(cache).empty());
  auto left = testing::FilesEnding(cache, "");
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{".", "..", "CACHEDIR.TAG", "unrelated.txt"});
}

}  // namespace imgmount
