#include "layers/stream/span_cache.h"

#include <algorithm>
#include <cstring>
#include <future>
#include <list>
#include <unordered_map>

#include "layers/base/error.h"
#include "layers/source/decode_permit.h"

namespace imgmount {

namespace {

// Prefetch requests beyond this many queued ones are dropped: decoding far ahead only wastes.
constexpr size_t kMaxQueued = 8;
// Decoders running ahead of readers: two keep both cores of this machine busy on one stream.
constexpr size_t kMaxWorkers = 2;

size_t WorkerLimit() {
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxWorkers);
}
constexpr size_t kMaxShards = 16;

}  // namespace

/// A cached or in-flight span; a failed load's error is kept as a CapturedError.
struct SpanCache::Slot {
  std::promise<SpanPtr> promise;
  std::shared_future<SpanPtr> future = promise.get_future().share();
  SpanPtr value;
  bool ready = false;
  std::list<Key>::iterator lru;
  CapturedError failure;

  /// Waits for the loading thread and returns its span, or throws a fresh copy of its error.
  SpanPtr Wait() const {
    SpanPtr result = future.get();
    if (!result) failure.Throw();
    return result;
  }
};

struct SpanCache::Shard {
  struct Hash {
    size_t operator()(const Key& k) const {
      return std::hash<uint64_t>()(k.owner * 0x9E3779B97F4A7C15ull ^ k.span);
    }
  };
  std::mutex mu;
  std::unordered_map<Key, std::shared_ptr<Slot>, Hash> map;
  std::list<Key> lru;  // ready entries, most recently used first
  uint64_t capacity = 0;
  uint64_t bytes = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t waits = 0;
  uint64_t evictions = 0;
  uint64_t dropped = 0;
};

SpanCache::SpanCache(uint64_t capacity_bytes, uint64_t typical_span_bytes) {
  uint64_t per_shard_spans = 8;
  uint64_t wanted = capacity_bytes / std::max<uint64_t>(1, typical_span_bytes * per_shard_spans);
  size_t count = static_cast<size_t>(std::clamp<uint64_t>(wanted, 1, kMaxShards));
  for (size_t i = 0; i < count; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->capacity = capacity_bytes / count;
  }
}

SpanCache::~SpanCache() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
}

uint64_t SpanCache::NewOwner() {
  return next_owner_.fetch_add(1, std::memory_order_relaxed);
}

SpanCache::Shard& SpanCache::ShardOf(const Key& key) const {
  return *shards_[Shard::Hash()(key) % shards_.size()];
}

SpanPtr SpanCache::Get(uint64_t owner, uint64_t span, const std::function<SpanPtr()>& load) {
  Key key{owner, span};
  Shard& shard = ShardOf(key);
  DecodePermit permit;  // taken only if this reader has to decode the span
  for (;;) {
    std::shared_ptr<Slot> pending;
    std::shared_ptr<Slot> claimed;
    {
      std::lock_guard lock(shard.mu);
      auto it = shard.map.find(key);
      if (it != shard.map.end() && it->second->ready) {
        shard.lru.splice(shard.lru.begin(), shard.lru, it->second->lru);
        ++shard.hits;
        return it->second->value;
      }
      if (it != shard.map.end()) {
        pending = it->second;
      } else if (permit.held()) {
        claimed = std::make_shared<Slot>();
        shard.map.emplace(key, claimed);
        ++shard.misses;
      }
    }
    if (claimed) return Fill(shard, key, claimed, load, false);
    // Missing, or still queued for a background decode: this reader decodes it, after taking a
    // permit while holding no slot (see decode_permit.h), and then looks again.
    if (!permit.held() && (!pending || IsQueued(key, pending))) {
      permit.Acquire();
      continue;
    }
    if (permit.held() && TakeQueued(key, pending)) {
      CountWait(shard);
      return Fill(shard, key, pending, load, false);
    }
    CountWait(shard);
    return pending->Wait();
  }
}

void SpanCache::CountWait(Shard& shard) {
  std::lock_guard lock(shard.mu);
  ++shard.waits;
}

SpanPtr SpanCache::Fill(Shard& shard, const Key& key, const std::shared_ptr<Slot>& slot,
                        const std::function<SpanPtr()>& load, bool prefetch) {
  SpanPtr value;
  try {
    DecodingScope decoding;
    value = load();
    if (!value) throw Error(ErrorKind::kInternal, EIO, "span loader returned nothing");
  } catch (...) {
    Abandon(shard, key, *slot, CapturedError::FromCurrent());
    throw;
  }
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end() && it->second == slot) {
      slot->value = value;
      slot->ready = true;
      shard.lru.push_front(key);
      slot->lru = shard.lru.begin();
      shard.bytes += value->size;
      while (shard.bytes > shard.capacity && shard.lru.size() > 1) {
        auto victim = shard.map.find(shard.lru.back());
        shard.bytes -= victim->second->value->size;
        shard.map.erase(victim);
        shard.lru.pop_back();
        ++shard.evictions;
      }
    }
  }
  if (prefetch) prefetched_.fetch_add(1, std::memory_order_relaxed);
  slot->promise.set_value(value);
  return value;
}

void SpanCache::Abandon(Shard& shard, const Key& key, Slot& slot, CapturedError failure) {
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end() && it->second.get() == &slot) shard.map.erase(it);
  }
  slot.failure = std::move(failure);
  slot.promise.set_value(nullptr);
}

void SpanCache::Prefetch(uint64_t owner, uint64_t span, std::function<SpanPtr()> load) {
  Key key{owner, span};
  Shard& shard = ShardOf(key);
  std::lock_guard queue_lock(queue_mu_);
  if (stopping_ || queue_.size() >= kMaxQueued) return;
  auto slot = std::make_shared<Slot>();
  {
    std::lock_guard lock(shard.mu);
    if (shard.map.contains(key)) return;
    shard.map.emplace(key, slot);
  }
  queue_.push_back(Task{key, std::move(slot), std::move(load)});
  queued_.fetch_add(1, std::memory_order_relaxed);
  if (workers_.size() < std::min(WorkerLimit(), queue_.size() + workers_.size())) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  queue_cv_.notify_one();
}

bool SpanCache::IsQueued(const Key& key, const std::shared_ptr<Slot>& slot) {
  std::lock_guard lock(queue_mu_);
  return QueuedTask(key, slot) != queue_.end();
}

bool SpanCache::TakeQueued(const Key& key, const std::shared_ptr<Slot>& slot) {
  std::lock_guard lock(queue_mu_);
  auto it = QueuedTask(key, slot);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  return true;
}

std::deque<SpanCache::Task>::iterator SpanCache::QueuedTask(const Key& key,
                                                            const std::shared_ptr<Slot>& slot) {
  return std::find_if(queue_.begin(), queue_.end(),
                      [&](const Task& task) { return task.key == key && task.slot == slot; });
}

void SpanCache::WorkerLoop() {
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
    }
    // The permit comes first: a worker never holds a claimed span while waiting for one.
    DecodePermit permit;
    permit.Acquire();
    Task task;
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
      if (queue_.empty()) continue;  // readers took the work over meanwhile
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      Fill(ShardOf(task.key), task.key, task.slot, task.load, true);
    } catch (...) {
      // The error reached any reader waiting for this span; nobody else needs it.
    }
  }
}

void SpanCache::Forget(uint64_t owner) {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    for (auto it = shard->map.begin(); it != shard->map.end();) {
      if (it->first.owner != owner) {
        ++it;
        continue;
      }
      if (it->second->ready) {
        shard->bytes -= it->second->value->size;
        shard->lru.erase(it->second->lru);
      }
      it = shard->map.erase(it);
    }
  }
}

void SpanCache::Drop(uint64_t owner, uint64_t span) {
  Key key{owner, span};
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.map.find(key);
  if (it == shard.map.end() || !it->second->ready) return;
  shard.bytes -= it->second->value->size;
  shard.lru.erase(it->second->lru);
  shard.map.erase(it);
  ++shard.dropped;
}

SpanCache::Stats SpanCache::stats() const {
  Stats total;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total.hits += shard->hits;
    total.misses += shard->misses;
    total.waits += shard->waits;
    total.evictions += shard->evictions;
    total.dropped += shard->dropped;
    total.bytes += shard->bytes;
  }
  total.queued = queued_.load(std::memory_order_relaxed);
  total.prefetched = prefetched_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace imgmount
