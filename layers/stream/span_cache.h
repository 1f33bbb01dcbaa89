// The bounded cache that holds decoded spans of every stream of a process (SpanCache): shared
// by the random-access sources over compressed streams (cached_stream.h), for every codec alike.
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

}  // namespace imgmount
