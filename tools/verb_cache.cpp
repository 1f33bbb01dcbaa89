#include <cstdio>
#include <ctime>
#include <iostream>

#include "index/cache/cache_admin.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kCacheHelp =
    "usage: imgmount cache [--cache-dir DIR] ls [--json]\n"
    "       imgmount cache [--cache-dir DIR] gc [--days N]\n"
    "       imgmount cache [--cache-dir DIR] clear\n"
    "Look after the index cache, where imgmount keeps the index of every layer it has read (by\n"
    "layer digest, shared by all images using the layer) with the content hashes diff made of\n"
    "its files, and the index of compressed image archives. An index goes with its hashes.\n"
    "  ls             list the cached indexes: last use, size on disk, tar members, files with\n"
    "                 a content hash kept for diff, kind, key (layer digest or archive file\n"
    "                 identity) and the images that used them\n"
    "    --json       one JSON array, an object per index: stem, kind, key (null if unusable),\n"
    "                 problem (null if usable), last_used (ISO-8601 UTC) and last_used_unix\n"
    "                 (both null if unknown), bytes, members, hashes and images, each with\n"
    "                 image, last_used and last_used_unix; most recently used first\n"
    "  gc [--days N]  remove indexes not used for N days (default 30), and broken leftovers\n"
    "  clear          remove every index\n"
    "  --cache-dir DIR  the cache (default $XDG_CACHE_HOME/imgmount, else ~/.cache/imgmount)\n"
    "Indexes that another imgmount is building are left alone.\n"
    "exit status: 0 ok, 2 usage, 6 I/O error\n";

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
  std::printf("%zu index%s, %s on disk in %s\n", entries.size(), entries.size() == 1 ? "" : "es",
              HumanSize(total).c_str(), dir.c_str());
  return 0;
}

int Remove(const std::string& dir, const std::function<bool(const CacheEntry&)>& doomed) {
  CacheRemoval result = RemoveCacheEntries(dir, doomed);
  std::printf("removed %zu index%s, freed %s\n", result.removed, result.removed == 1 ? "" : "es",
              HumanSize(result.bytes).c_str());
  if (result.busy > 0) {
    PrintWarning(std::to_string(result.busy) + " index" + (result.busy == 1 ? " is" : "es are") +
                 " in use by another imgmount and " + (result.busy == 1 ? "was" : "were") +
                 " kept");
  }
  return 0;
}

int64_t ParseDays(const std::string& text) {
  size_t used = 0;
  long long days = -1;
  try {
    days = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || days < 0 || days > 100000) {
    UsageError("cache", "--days wants a number of days from 0 to 100000, not \"" + text + "\"");
  }
  return days;
}

}  // namespace

int RunCache(const std::vector<std::string>& args) {
  ImageArgs options;
  std::string command;
  int64_t days = 30;
  bool days_given = false;
  bool json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kCacheHelp;
      return 0;
    }
    if (arg == "--cache-dir" || arg.starts_with("--cache-dir=")) {
      if (!TakeImageOption(args, i, options)) UsageError("cache", "bad " + arg);
    } else if (arg == "--days" || arg.starts_with("--days=")) {
      if (arg == "--days" && i + 1 >= args.size()) UsageError("cache", "--days needs a value");
      days = ParseDays(arg == "--days" ? args[++i] : arg.substr(7));
      days_given = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg.starts_with("-")) {
      UsageError("cache", "unknown option " + arg);
    } else if (command.empty()) {
      command = arg;
    } else {
      UsageError("cache", "unexpected argument " + arg);
    }
  }
  if (command.empty()) UsageError("cache", "expected ls, gc or clear");
  if (command != "ls" && command != "gc" && command != "clear") {
    UsageError("cache", "unknown cache command " + command);
  }
  if (days_given && command != "gc") UsageError("cache", "--days goes with gc only");
  if (json && command != "ls") UsageError("cache", "--json goes with ls only");
  std::string dir = CacheDirFromArgs(options);
  if (dir.empty()) {
    throw Error(ErrorKind::kIo, ENOENT, "no cache directory: set HOME or give --cache-dir");
  }
  if (command == "ls") return json ? ListJson(dir) : List(dir);
  if (command == "clear") return Remove(dir, [](const CacheEntry&) { return true; });
  int64_t cutoff = static_cast<int64_t>(std::time(nullptr)) - days * kSecondsPerDay;
  return Remove(
      dir, [cutoff](const CacheEntry& e) { return !e.problem.empty() || e.last_used < cutoff; });
}

}  // namespace imgmount
