// The on-disk chunk cache of registry blobs: compressed bytes fetched from a registry, kept in
// the cache directory so that reading them again (after the page cache dropped them, or in
// another process) costs no network. Layout, under the index cache's directory:
//
//   chunks/<alg>/<hex>/<N>      chunk N (bytes [N * 1 MiB, (N + 1) * 1 MiB) of the blob, less at
//                               its end) behind a 16-byte header: "IMCHUNK1", CRC-32 and length
//   chunks/<alg>/<hex>/blob     the whole blob, from a registry that ignores Range requests
//                               (whole_blob.h), verified against the digest before renamed here
//   chunks/<alg>/<hex>/*.tmp.*  a chunk being written (renamed into place when complete)
//
// A chunk's modification time is its last use (touched on every hit); the cache is kept under
// a size limit by removing the least recently used chunks. Several processes may share it:
// files are only ever renamed into place or removed, so a reader sees a whole chunk or none.
// The header's CRC catches a torn or damaged file (dropped and fetched again); the bytes are
// otherwise not trusted: the stream index's span checks catch a chunk whose bytes are wrong,
// and the source then drops it (RemoteBlobSource::Forget).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace imgmount {

/// Size of a chunk: reads from a registry are aligned to this grid.
inline constexpr uint64_t kChunkBytes = 1 << 20;

/// Default size limit of the chunk cache (IMGMOUNT_CHUNK_CACHE_SIZE changes it).
inline constexpr uint64_t kDefaultChunkCacheLimit = uint64_t{1} << 30;

/// The chunk cache in one directory, shared by the sources of every registry blob.
class ChunkStore {
 public:
  /// The cache in `cache_dir` + "/chunks", kept under `limit` bytes.
  ChunkStore(const std::string& cache_dir, uint64_t limit);

  /// Chunk `index` of blob `digest`, or nullopt if it is not kept (or damaged: then removed).
  std::optional<std::string> Get(const std::string& digest, uint64_t index) const;

  /// Whether chunk `index` of blob `digest` is kept (not checked).
  bool Has(const std::string& digest, uint64_t index) const;

  /// Keeps `bytes` as chunk `index` of blob `digest`; failures (full disk, read-only directory)
  /// are ignored: the cache is an optimisation. Evicts old chunks when the limit is passed.
  void Put(const std::string& digest, uint64_t index, const std::string& bytes) const;

  /// Removes chunk `index` of blob `digest` (its bytes failed a check).
  void Drop(const std::string& digest, uint64_t index) const;

  /// Where the whole blob `digest` is kept (its directory made when `create`); "" if nowhere.
  std::string WholeBlobPath(const std::string& digest, bool create) const;

 private:
  std::string ChunkPath(const std::string& digest, uint64_t index) const;

  std::string cache_dir_;
  std::string dir_;
  uint64_t limit_;
  mutable std::mutex mu_;
  mutable uint64_t written_since_trim_ = 0;
  mutable bool trimmed_ = false;
};

/// The chunk cache's size limit: $IMGMOUNT_CHUNK_CACHE_SIZE (bytes, or with a K, M or G suffix)
/// or the default. Throws kUsage if the variable is malformed.
uint64_t ChunkCacheLimit();

/// What the chunk cache holds of one blob.
struct ChunkedBlob {
  /// "sha256:<hex>".
  std::string digest;
  /// Chunks kept.
  uint64_t chunks = 0;
  /// Bytes on disk.
  uint64_t bytes = 0;
  /// Newest use of one of its chunks (Unix seconds).
  int64_t last_used = 0;
};

/// The blobs of the chunk cache under `cache_dir`, most recently used first.
std::vector<ChunkedBlob> ListChunkCache(const std::string& cache_dir);

/// What trimming removed.
struct ChunkTrim {
  /// Chunks removed.
  uint64_t chunks = 0;
  /// Bytes freed.
  uint64_t bytes = 0;
};

/// Removes the chunks under `cache_dir` last used before `cutoff` (Unix seconds), then the least
/// recently used ones until at most `limit` bytes are left, and leftovers of interrupted writes.
ChunkTrim TrimChunkCache(const std::string& cache_dir, uint64_t limit, int64_t cutoff);

}  // namespace imgmount
