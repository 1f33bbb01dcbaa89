// Looking after the index cache directory (cache_dir.h): listing its entries, removing those not
// used for a while, removing all. An entry is every file of one stem; it is removed only while
// holding its lock, so a process building or replacing it is never disturbed (its entry is
// skipped as busy), and files the cache did not name are never touched.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "index/cache/cache_dir.h"

namespace imgmount {

/// One entry of the cache. A union entry whose layer indexes are not all present is unusable
/// (`problem` says which is gone), so gc removes it with them.
struct CacheEntry {
  /// File-name stem ("sha256-<hex>", "bound-<hex>", "archive-<hex>").
  std::string stem;
  /// "layer" (shared by digest), "layer, this image only" (unverified), "archive" or "union"
  /// (the union tree of a chain of layers, union_cache.h).
  std::string kind;
  /// The layer digest, the archive file's identity or the union's chain id; "" if the index is
  /// unreadable (or, for a union, one of its layer indexes is gone).
  std::string key;
  /// Bytes on disk of all the entry's files.
  uint64_t bytes = 0;
  /// Tar members in the index; entries (inodes) in a union.
  uint64_t members = 0;
  /// For a union: the stems of its layers' entries, bottom first.
  std::vector<std::string> layers;
  /// Files whose content hash is kept beside the index (STEM.sums).
  uint64_t hashes = 0;
  /// Why the index is unusable ("" if it is fine, "no index" for leftovers).
  std::string problem;
  /// Which images used it, most recent first.
  std::vector<UseRecord> uses;
  /// Last use (Unix seconds): the newest record, else the index file's modification time.
  int64_t last_used = 0;
};

/// The entries of the cache in `dir`, most recently used first; empty if `dir` does not exist.
/// Throws kIo if it cannot be read.
std::vector<CacheEntry> ListCache(const std::string& dir);

/// What a removal did.
struct CacheRemoval {
  /// Entries removed.
  size_t removed = 0;
  /// Bytes freed.
  uint64_t bytes = 0;
  /// Entries kept because another process held them.
  size_t busy = 0;
};

/// Removes the entries of `dir` for which `doomed` is true. Throws kIo if a file cannot be
/// removed.
CacheRemoval RemoveCacheEntries(const std::string& dir,
                                const std::function<bool(const CacheEntry&)>& doomed);

}  // namespace imgmount
