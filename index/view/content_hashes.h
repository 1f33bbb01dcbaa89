// Per-file content hashes for comparing regular files without reading both: a hash is looked up
// in memory, else in the cache file beside its layer's index (content_hash_file.h), and only
// else computed by reading the member once. Save() writes what was computed back to the cache.
// A layer without a cache entry (--no-cache) keeps its hashes in memory only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/cache/content_hash_file.h"
#include "index/layer/layer_index.h"
#include "layers/base/error.h"

namespace imgmount {

/// The content hashes used by one comparison, on one thread. Every layer passed to Of() must
/// outlive the object.
class ContentHashes {
 public:
  /// What the object did so far, for notes and tests.
  struct Counts {
    /// Hashes computed by reading members.
    size_t computed = 0;
    /// Bytes read to compute them.
    uint64_t bytes_read = 0;
    /// Lookups answered by a hash already known (from a cache file or an earlier lookup).
    size_t reused = 0;
    /// Cache files written by Save().
    size_t files_written = 0;
  };

  /// Reports cache files that are unusable to `warn`, and hashes that could not be kept to
  /// `info`.
  explicit ContentHashes(WarningSink warn = {}, WarningSink info = {});

  /// The SHA-256 of the logical content of regular member `member` of `layer`. Throws Error if
  /// the member is no regular file or its data cannot be read.
  ContentHash Of(const LayerIndex& layer, uint32_t member);

  /// Merges the hashes computed since the last Save into their layers' cache files, under each
  /// entry's lock (an entry another process holds is skipped). Failing to write loses nothing
  /// but the hashes.
  void Save();

  /// What was done so far.
  const Counts& counts() const { return counts_; }

 private:
  struct LayerHashes {
    std::unordered_map<uint32_t, ContentHash> hashes;
    bool fresh = false;  // holds hashes that the cache file lacks
  };

  LayerHashes& Load(const LayerIndex& layer);
  ContentHash Compute(const LayerIndex& layer, uint32_t member);
  void SaveLayer(const LayerIndex& layer, LayerHashes& state);

  WarningSink warn_;
  WarningSink info_;
  std::map<const LayerIndex*, LayerHashes> layers_;
  Counts counts_;
  std::vector<std::byte> buffer_;
};

}  // namespace imgmount
