// `imgmount cache ls|gc|clear`: lists and prunes the index cache (index/cache/cache_admin.h).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "index/cache/cache_admin.h"
#include "layers/base/decimal.h"
#include "layers/base/error.h"
#include "layers/registry/chunk_store.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// A Unix time as UTC in `format` (strftime), or "" if it is unknown (not after the epoch).
std::string FormatUtc(int64_t seconds, const char* format) {
  if (seconds <= 0) return "";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

std::string Time(int64_t seconds) {
  std::string text = FormatUtc(seconds, "%Y-%m-%d %H:%M:%S");
  return text.empty() ? "-" : text;
}

// Writes `"last_used": "ISO-8601", "last_used_unix": seconds`, both null if unknown.
void WriteLastUsed(JsonWriter& w, int64_t seconds) {
  std::string iso = FormatUtc(seconds, "%Y-%m-%dT%H:%M:%SZ");
  w.Key("last_used");
  if (iso.empty()) {
    w.Null();
  } else {
    WriteJsonString(w, iso);
  }
  w.Key("last_used_unix");
  if (iso.empty()) {
    w.Null();
  } else {
    w.Int64(seconds);
  }
}

int ListJson(const std::string& dir) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const CacheEntry& e : ListCache(dir)) {
    w.StartObject();
    WriteString(w, "stem", e.stem);
    WriteString(w, "kind", e.kind);
    WriteStringOrNull(w, "key", e.key);
    WriteStringOrNull(w, "problem", e.problem);
    WriteLastUsed(w, e.last_used);
    WriteUint(w, "bytes", e.bytes);
    WriteUint(w, "members", e.members);
    WriteUint(w, "hashes", e.hashes);
    w.Key("layers");
    w.StartArray();
    for (const std::string& layer : e.layers) WriteJsonString(w, layer);
    w.EndArray();
    w.Key("images");
    w.StartArray();
    for (const UseRecord& use : e.uses) {
      w.StartObject();
      WriteString(w, "image", use.image);
      WriteLastUsed(w, use.time);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  for (const ChunkedBlob& blob : ListChunkCache(dir)) {
    w.StartObject();
    WriteString(w, "stem",
                "chunks/" + blob.digest.substr(0, blob.digest.find(':')) + "/" +
                    blob.digest.substr(blob.digest.find(':') + 1));
    WriteString(w, "kind", "registry chunks");
    WriteString(w, "key", blob.digest);
    WriteStringOrNull(w, "problem", "");
    WriteLastUsed(w, blob.last_used);
    WriteUint(w, "bytes", blob.bytes);
    WriteUint(w, "members", 0);
    WriteUint(w, "hashes", 0);
    WriteUint(w, "chunks", blob.chunks);
    w.Key("layers");
    w.StartArray();
    w.EndArray();
    w.Key("images");
    w.StartArray();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  std::cout << JsonLine(buffer);
  return 0;
}

int List(const std::string& dir) {
  std::vector<CacheEntry> entries = ListCache(dir);
  uint64_t total = 0;
  std::printf("%-19s  %10s  %8s  %8s  %-22s  %s\n", "LAST USED (UTC)", "SIZE", "MEMBERS", "HASHES",
              "KIND", "KEY / IMAGES");
  for (const CacheEntry& e : entries) {
    total += e.bytes;
    std::string key = e.key.empty() ? e.stem + " (unusable: " + e.problem + ")" : e.key;
    std::printf("%-19s  %10s  %8llu  %8llu  %-22s  %s\n", Time(e.last_used).c_str(),
                HumanSize(e.bytes).c_str(), static_cast<unsigned long long>(e.members),
                static_cast<unsigned long long>(e.hashes), e.kind.c_str(), key.c_str());
    for (const UseRecord& use : e.uses) {
      std::printf("%-19s  %10s  %8s  %8s  %-22s    used by %s\n", Time(use.time).c_str(), "", "",
                  "", "", use.image.c_str());
    }
  }
  std::vector<ChunkedBlob> blobs = ListChunkCache(dir);
  uint64_t chunk_bytes = 0;
  for (const ChunkedBlob& blob : blobs) {
    chunk_bytes += blob.bytes;
    std::string key = blob.digest + " (" + std::to_string(blob.chunks) + " chunk" +
                      (blob.chunks == 1 ? "" : "s") + ")";
    std::printf("%-19s  %10s  %8s  %8s  %-22s  %s\n", Time(blob.last_used).c_str(),
                HumanSize(blob.bytes).c_str(), "-", "-", "registry chunks", key.c_str());
  }
  std::printf("%zu index%s, %s on disk in %s\n", entries.size(), entries.size() == 1 ? "" : "es",
              HumanSize(total).c_str(), dir.c_str());
  std::printf("%zu registry blob%s in the chunk cache, %s on disk (limit %s)\n", blobs.size(),
              blobs.size() == 1 ? "" : "s", HumanSize(chunk_bytes).c_str(),
              HumanSize(ChunkCacheLimit()).c_str());
  return 0;
}

// Removes the entries for which `doomed` is true, and registry chunks last used before `cutoff`
// or beyond `chunk_limit` bytes.
int Remove(const std::string& dir, const std::function<bool(const CacheEntry&)>& doomed,
           int64_t cutoff, uint64_t chunk_limit) {
  CacheRemoval result = RemoveCacheEntries(dir, doomed);
  ChunkTrim chunks = TrimChunkCache(dir, chunk_limit, cutoff);
  std::printf("removed %zu index%s, freed %s\n", result.removed, result.removed == 1 ? "" : "es",
              HumanSize(result.bytes).c_str());
  std::printf("removed %llu registry chunk%s, freed %s\n",
              static_cast<unsigned long long>(chunks.chunks), chunks.chunks == 1 ? "" : "s",
              HumanSize(chunks.bytes).c_str());
  if (result.busy > 0) {
    PrintWarning(std::to_string(result.busy) + " index" + (result.busy == 1 ? " is" : "es are") +
                 " in use by another imgmount and " + (result.busy == 1 ? "was" : "were") +
                 " kept");
  }
  return 0;
}

int64_t ParseDays(const std::string& text) {
  std::optional<uint64_t> days = ParseDecimal(text);
  if (!days || *days > 100000) {
    UsageError("cache gc", "--days wants a number of days from 0 to 100000, not \"" + text + "\"");
  }
  return static_cast<int64_t>(*days);
}

}  // namespace

void AddCacheCommand(CommandLine& cli) {
  CLI::App* cache = cli.AddVerb(
      {"cache",
       "look after the index cache",
       {{"imgmount cache [--cache-dir DIR] ls [--json]",
         "imgmount cache [--cache-dir DIR] gc [--days N]",
         "imgmount cache [--cache-dir DIR] clear"},
        "The index cache is where imgmount keeps the index of every layer it has read (by layer\n"
        "digest, shared by all images using the layer) with the content hashes diff made of its\n"
        "files, the index of compressed image archives, and the union tree of each chain of\n"
        "layers mounted (kind \"union\", used only with all its layer indexes, removed by gc\n"
        "once one of them is gone). An index goes with its hashes.\n"
        "It also holds the chunk cache: compressed bytes fetched from registries, by blob\n"
        "digest, at most IMGMOUNT_CHUNK_CACHE_SIZE bytes (default 1G; K, M, G suffixes).\n"
        "Indexes that another imgmount is building are left alone.\n"
        "exit status: 0 ok, 2 usage, 6 I/O error",
        GlobalUse::kCacheDir}},
      nullptr);
  auto dir = [&cli] {
    std::string dir = CacheDirFromArgs(cli.ImageOptions(""));
    if (dir.empty()) {
      throw Error(ErrorKind::kIo, ENOENT, "no cache directory: set HOME or give --cache-dir");
    }
    return dir;
  };
  auto json = std::make_shared<bool>(false);
  CLI::App* ls = cli.AddVerb(
      {"ls",
       "list the cached indexes",
       {{"imgmount cache ls [--json] [--cache-dir DIR]"},
        "Per index: last use, size on disk, tar members, files with a content hash kept for\n"
        "diff, kind, key (layer digest or archive file identity) and the images that used it;\n"
        "per registry blob in the chunk cache: last use, size on disk, digest and chunks.",
        GlobalUse::kCacheDir}},
      [dir, json] { return *json ? ListJson(dir()) : List(dir()); }, cache);
  ls->add_flag("--json", *json,
               "one JSON array, an object per index: stem, kind, key (null if unusable), problem "
               "(null if usable), last_used (ISO-8601 UTC) and last_used_unix (both null if "
               "unknown), bytes, members (a union's: its entries), hashes, layers (a union's "
               "layer entry stems, bottom first; else empty) and images, each with image, "
               "last_used and last_used_unix; most recently used first; then an object per "
               "registry blob of the chunk cache: kind \"registry chunks\", key its digest, "
               "chunks");
  auto days = std::make_shared<std::string>("30");
  CLI::App* gc = cli.AddVerb(
      {"gc",
       "remove indexes and registry chunks not used for N days (default 30), broken leftovers, "
       "and the least recently used chunks beyond the chunk cache's limit",
       {{"imgmount cache gc [--days N] [--cache-dir DIR]"}, "", GlobalUse::kCacheDir}},
      [dir, days] {
        int64_t cutoff =
            static_cast<int64_t>(std::time(nullptr)) - ParseDays(*days) * kSecondsPerDay;
        return Remove(
            dir(),
            [cutoff](const CacheEntry& e) { return !e.problem.empty() || e.last_used < cutoff; },
            cutoff, ChunkCacheLimit());
      },
      cache);
  gc->add_option("--days", *days, "the age in days (default 30)")->option_text("N");
  cli.AddVerb(
      {"clear",
       "remove every index and every registry chunk",
       {{"imgmount cache clear [--cache-dir DIR]"}, "", GlobalUse::kCacheDir}},
      [dir] {
        return Remove(
            dir(), [](const CacheEntry&) { return true; }, INT64_MAX, 0);
      },
      cache);
}

}  // namespace imgmount
