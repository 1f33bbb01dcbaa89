// Spans of an uncompressed stream: how a pass cuts the stream into spans (SpanTableBuilder), the
// bounded cache that holds decoded spans (SpanCache), and the random-access source that reads
// through it (CachedStream), for every codec alike.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "layers/base/error.h"
#include "layers/source/byte_source.h"
#include "layers/source/page_buffer.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// The bytes of one decoded span.
struct DecodedSpan {
  /// The span's bytes, in memory of their own that is returned to the system with the span.
  PageBuffer data;
  /// Number of bytes in `data`.
  size_t size = 0;
};

/// Shared, immutable handle to a decoded span.
using SpanPtr = std::shared_ptr<const DecodedSpan>;

/// A bounded, sharded, LRU cache of decoded spans keyed by (owner, span index); decodes take a
/// DecodePermit, so the process decodes a bounded number of spans at once. Concurrent misses
/// on one span decode it once while the others wait; background workers (one per core, at most
/// two) decode ahead of sequential readers.
class SpanCache {
 public:
  /// A cache of at most `capacity_bytes` of span data; `typical_span_bytes` sizes the shards.
  explicit SpanCache(uint64_t capacity_bytes, uint64_t typical_span_bytes = 4u << 20);
  ~SpanCache();
  SpanCache(const SpanCache&) = delete;
  SpanCache& operator=(const SpanCache&) = delete;

  /// A fresh owner id, so several sources can share one cache without key clashes.
  uint64_t NewOwner();

  /// The span, from the cache or from `load` (called at most once per miss, outside any lock).
  /// Rethrows the loader's Error to every reader waiting for that span.
  SpanPtr Get(uint64_t owner, uint64_t span, const std::function<SpanPtr()>& load);

  /// Asks the background worker to load the span unless it is cached, loading, or the queue is
  /// full; errors of a prefetch only reach readers that wait for it.
  void Prefetch(uint64_t owner, uint64_t span, std::function<SpanPtr()> load);

  /// Drops every cached span of `owner` (called when a source goes away).
  void Forget(uint64_t owner);

  /// Drops one cached span that a sequential reader has left behind; a span still being decoded
  /// stays, and readers holding the span keep their copy.
  void Drop(uint64_t owner, uint64_t span);

  /// Counters for tests and statistics.
  struct Stats {
    uint64_t hits = 0;        ///< reads served from a cached span
    uint64_t misses = 0;      ///< spans decoded for a reader
    uint64_t waits = 0;       ///< readers that waited for another thread's decode
    uint64_t queued = 0;      ///< prefetches accepted (a reader may take one over)
    uint64_t prefetched = 0;  ///< spans decoded by the background worker
    uint64_t evictions = 0;   ///< spans dropped to stay within capacity
    uint64_t dropped = 0;     ///< spans dropped behind a sequential reader
    uint64_t bytes = 0;       ///< bytes held now
  };

  /// A snapshot of the counters.
  Stats stats() const;

 private:
  struct Key {
    uint64_t owner;
    uint64_t span;
    bool operator==(const Key&) const = default;
  };
  struct Slot;
  struct Shard;
  struct Task {
    Key key;
    std::shared_ptr<Slot> slot;
    std::function<SpanPtr()> load;
  };

  Shard& ShardOf(const Key& key) const;
  SpanPtr Fill(Shard& shard, const Key& key, const std::shared_ptr<Slot>& slot,
               const std::function<SpanPtr()>& load, bool prefetch);
  /// Removes a slot whose load failed and wakes its waiters with the error.
  static void Abandon(Shard& shard, const Key& key, Slot& slot, CapturedError failure);
  // Whether `slot` still waits in the prefetch queue.
  bool IsQueued(const Key& key, const std::shared_ptr<Slot>& slot);
  // Removes the queued prefetch of `key` so that a waiting reader decodes it itself.
  bool TakeQueued(const Key& key, const std::shared_ptr<Slot>& slot);
  // The queued task of `slot`, or queue_.end(); queue_mu_ must be held.
  std::deque<Task>::iterator QueuedTask(const Key& key, const std::shared_ptr<Slot>& slot);
  static void CountWait(Shard& shard);
  void WorkerLoop();

  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> next_owner_{1};
  std::atomic<uint64_t> queued_{0};
  std::atomic<uint64_t> prefetched_{0};

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  /// Started on demand, one more whenever work is queued, up to kMaxWorkers.
  std::vector<std::thread> workers_;
};

/// Decodes single spans of one compressed stream; thread-safe, with decoder state per call.
class SpanDecoder {
 public:
  virtual ~SpanDecoder() = default;

  /// The index the spans come from.
  virtual const StreamIndex& index() const = 0;

  /// Decodes span `i` exactly into dst (dst.size() == that span's size). Throws Error.
  virtual void DecodeSpan(size_t i, std::span<std::byte> dst) const = 0;
};

/// Random-access source over a compressed stream: each read goes span by span through a
/// SpanCache; every decoded span is checked against the CRC-32 recorded while indexing. A
/// sequential reader has the spans ahead decoded in the background and the spans it left behind
/// dropped, so that streaming a large file holds a few spans, not the whole cache.
class CachedStream final : public ByteSource {
 public:
  /// A source over `decoder`'s spans named `name`, using options.cache or a cache of its own.
  CachedStream(std::shared_ptr<const SpanDecoder> decoder, std::string name,
               const DecodeOptions& options);
  ~CachedStream() override;
  CachedStream(const CachedStream&) = delete;
  CachedStream& operator=(const CachedStream&) = delete;

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override { return name_; }
  /// Lends the bytes from their decoded spans, one piece per span, when they lie in at most
  /// kMaxLentPieces spans.
  std::optional<LentBytes> Lend(uint64_t offset, size_t length) const override;

  /// The cache this source reads through.
  const std::shared_ptr<SpanCache>& cache() const { return cache_; }

 private:
  static SpanPtr Load(const SpanDecoder& decoder, size_t i, const std::string& name);
  // Index of the span holding `offset` (which must be below size_).
  size_t SpanAt(uint64_t offset) const;
  void NoteAccess(size_t span) const;
  // Calls use(span data, offset in it, length) for each span piece of [offset, offset + length),
  // which must lie inside the stream, in order.
  void ForEachPiece(uint64_t offset, size_t length,
                    const std::function<void(const SpanPtr&, uint64_t, size_t)>& use) const;

  std::shared_ptr<const SpanDecoder> decoder_;
  std::string name_;
  uint64_t size_;
  std::shared_ptr<SpanCache> cache_;
  uint64_t owner_;
  bool prefetch_;
  mutable std::atomic<uint64_t> last_span_{UINT64_MAX - 1};  // no span follows it
};

/// Cuts the uncompressed stream into spans while a pass emits it, recording each span's CRC-32.
/// A span starts at every access point, and is cut after 2 * span_bytes without one.
class SpanTableBuilder {
 public:
  /// Builds into `index` with points wanted every `span_bytes` of output.
  SpanTableBuilder(StreamIndex* index, uint64_t span_bytes);

  /// Whether an access point is wanted now: span_bytes of output and span_bytes / 64 of input
  /// (so that bombs do not get an index of the blob's size) since the last one.
  bool WantPoint(uint64_t compressed_byte) const;

  /// Records an access point at the current output position; it starts a new span. A point at
  /// the same output offset as the previous one is ignored.
  void AddPoint(AccessPoint point);

  /// Bytes that may be added before the current span is cut.
  uint64_t Room() const { return 2 * span_bytes_ - current_.size; }

  /// Output that may be emitted before WantPoint can next become true (all of Room() if a point
  /// is already due), so that a pass asks for points close to every span_bytes.
  uint64_t UntilPointDue() const;

  /// Appends emitted bytes (at most Room()).
  void Add(std::span<const std::byte> bytes);

  /// Output position so far.
  uint64_t position() const { return position_; }

  /// Closes the last span and sets the stream size.
  void Finish();

 private:
  void CloseSpan();

  StreamIndex* index_;
  uint64_t span_bytes_;
  uint64_t position_ = 0;
  SpanInfo current_;
  bool have_point_ = false;
};

/// Size limits of spans: the smallest and largest span_bytes a pass accepts, and the largest span
/// an index may describe (so a corrupt persisted index cannot make a read allocate unboundedly).
inline constexpr uint64_t kMinSpanBytes = 1024;
/// See kMinSpanBytes.
inline constexpr uint64_t kMaxSpanBytes = 128u << 20;
/// See kMinSpanBytes.
inline constexpr uint64_t kMaxIndexedSpan = 2 * kMaxSpanBytes;

/// options.span_bytes clamped to [kMinSpanBytes, kMaxSpanBytes].
uint64_t ClampedSpanBytes(const DecodeOptions& options);

/// Where the compressed bytes of span `i` of `index` lie, as far as the index tells.
struct SpanInputRange {
  /// First byte: the one holding the span's access point.
  uint64_t begin = 0;
  /// Just past the last byte: a little past the first point after the span, or the blob's end.
  uint64_t end = 0;
};

/// The compressed bytes that decoding span `i` of `index` reads.
SpanInputRange InputRangeOfSpan(const StreamIndex& index, size_t i);

/// A good input buffer size for decoding span `i` of `index` from its point: about the compressed
/// distance to the first point after the span, within [4 KiB, `limit`].
size_t SpanInputBytes(const StreamIndex& index, size_t i, size_t limit);

}  // namespace imgmount
