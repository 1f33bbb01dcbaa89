#include "index/cache/cache_admin.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "index/cache/content_hash_file.h"
#include "index/cache/index_file.h"
#include "index/cache/union_cache.h"
#include "index/cache/union_file.h"
#include "layers/base/error.h"
#include "layers/image/archive_index.h"

namespace imgmount {

namespace {

// Every failure here is an I/O failure of the cache (exit code 6), whatever the errno.
[[noreturn]] void CacheIoError(const std::string& what) {
  int e = errno;
  throw Error(ErrorKind::kIo, e, what + ": " + std::strerror(e));
}

// The cache's files grouped by stem.
std::map<std::string, std::vector<std::string>> FilesByStem(const std::string& dir) {
  std::map<std::string, std::vector<std::string>> stems;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return stems;
    CacheIoError("read the index cache " + dir);
  }
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    std::string stem = StemOf(name);
    if (!stem.empty()) stems[stem].push_back(name);
  }
  ::closedir(d);
  return stems;
}

// A stem with nothing but its lock file: the lock of a build whose index went elsewhere.
bool OnlyLock(const std::string& stem, const std::vector<std::string>& files) {
  return files.size() == 1 && files[0] == stem + ".lock";
}

CacheEntry Describe(const std::string& dir, const std::string& stem,
                    const std::vector<std::string>& files) {
  CacheEntry entry;
  entry.stem = stem;
  entry.kind = stem.starts_with("archive-") ? "archive"
               : stem.starts_with("bound-") ? "layer, this image only"
               : stem.starts_with("union-") ? "union"
                                            : "layer";
  for (const std::string& name : files) {
    struct stat st {};
    if (::lstat((dir + "/" + name).c_str(), &st) == 0) {
      entry.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
      if (name == stem + ".idx" || name == stem + ".union") entry.last_used = st.st_mtim.tv_sec;
    }
  }
  std::string index = dir + "/" + stem + (entry.kind == "union" ? ".union" : ".idx");
  std::string why;
  if (entry.kind == "union") {
    if (auto file = ReadUnionFileInfo(index, &why)) {
      entry.key = file->chain_id;
      entry.members = file->inodes;
      entry.layers = file->layer_stems;
      std::string missing = MissingLayerIndex(dir, file->layer_stems);
      if (!missing.empty()) {
        // Stale: the union is never used without its layers, so gc removes it.
        entry.key.clear();
        why = "the index of layer " + missing + " is gone";
      }
    }
  } else if (entry.kind == "archive") {
    if (auto file = ReadArchiveIndexFile(index, std::nullopt, &why)) {
      entry.key = file->identity;
      entry.members = file->index.members.size();
    }
  } else if (auto file = ReadLayerIndexFile(index, std::nullopt, std::nullopt, &why)) {
    entry.key = file->info.key;
    entry.members = file->tables.members.size();
    // Unusable hashes are no problem of the entry: they are made again when needed.
    LayerIndex tables(stem, file->tables, file->owner);
    std::string ignored;
    auto sums = ReadContentHashFile(dir + "/" + stem + ".sums", stem, tables, &ignored);
    entry.hashes = sums ? sums->size() : 0;
  }
  if (entry.key.empty()) entry.problem = why.empty() ? "no index" : why;
  entry.uses = ReadUses(dir + "/" + stem + ".used");
  if (!entry.uses.empty()) entry.last_used = entry.uses.front().time;
  return entry;
}

}  // namespace

std::vector<CacheEntry> ListCache(const std::string& dir) {
  std::vector<CacheEntry> entries;
  for (const auto& [stem, files] : FilesByStem(dir)) {
    if (!OnlyLock(stem, files)) entries.push_back(Describe(dir, stem, files));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return a.last_used > b.last_used;
  });
  return entries;
}

CacheRemoval RemoveCacheEntries(const std::string& dir,
                                const std::function<bool(const CacheEntry&)>& doomed) {
  CacheRemoval result;
  for (const auto& [stem, listed] : FilesByStem(dir)) {
    if (!doomed(Describe(dir, stem, listed))) continue;
    std::string why;
    auto lock = EntryLock::Acquire(dir, stem, false, &why);
    if (!lock) {
      if (why == "busy") {
        ++result.busy;
        continue;
      }
      throw Error(ErrorKind::kIo, EIO, "index cache: " + why);
    }
    // Look again under the lock: the entry may have been replaced meanwhile.
    auto files = FilesByStem(dir)[stem];
    CacheEntry entry = Describe(dir, stem, files);
    if (!doomed(entry)) continue;
    for (const std::string& name : files) {
      if (name == stem + ".lock") continue;
      if (::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT) {
        CacheIoError("remove " + dir + "/" + name);
      }
    }
    lock->Unlink();
    if (!OnlyLock(stem, files)) {
      ++result.removed;
      result.bytes += entry.bytes;
    }
  }
  return result;
}

}  // namespace imgmount
