// Background indexing of an image's layers. The distinct layers (a digest repeated in the stack
// is indexed once) are queued top position first, since the paths users look at first are
// usually settled by the upper layers; `threads` workers take them in turn. A worker that
// finishes the last layer builds the union tree and publishes it; from then on the tree answers
// everything and the per-layer lookup tables, built only on demand for lookups made before the
// tree existed, are dropped.
#include "index/view/lazy_image.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "index/cache/union_cache.h"
#include "index/union/union_builder.h"
#include "index/view/layer_loading.h"
#include "layers/base/error.h"
#include "layers/source/page_buffer.h"
#include "layers/stream/span_cache.h"

namespace imgmount {

struct LazyImage::Slot {
  /// The lowest layer position holding this blob (names it in messages).
  size_t first_position = 0;
  const LayerBlob* blob = nullptr;
  std::shared_ptr<std::atomic<uint64_t>> progress = std::make_shared<std::atomic<uint64_t>>(0);
  // Guarded by LazyImage::mutex_.
  LayerProgress::State state = LayerProgress::State::kQueued;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point end;
  bool from_cache = false;
  std::shared_ptr<const LayerIndex> index;
  std::optional<CapturedError> error;
  // Guarded by view_mutex.
  std::mutex view_mutex;
  std::shared_ptr<const LayerView> view;
};

std::shared_ptr<LazyImage> LazyImage::Open(const std::string& path, const ViewOptions& requested,
                                           unsigned threads) {
  std::shared_ptr<LazyImage> self(new LazyImage());
  ViewOptions& options = self->options_;
  options = requested;
  if (!options.decode.cache) {
    // One bounded cache of decoded spans for every layer of the image.
    options.decode.cache =
        std::make_shared<SpanCache>(options.decode.cache_bytes, options.decode.span_bytes);
    // Span mappings kept for reuse are memory the cache gave back: an eighth of its budget
    // (8 MiB of the default 64 MiB) holds the few a sequential reader cycles through.
    PageBuffer::LimitKept(std::min<uint64_t>(8u << 20, options.decode.cache_bytes / 8));
  }
  if (!options.cache_dir.empty()) {
    self->cache_ = std::make_unique<IndexCache>(options.cache_dir, options.warn);
  }
  self->image_path_ = AbsolutePath(path);
  self->files_ = OpenContainer(path, self->image_path_, self->cache_.get(), options);
  self->image_ = ReadImage(*self->files_, options.selector);
  size_t count = self->image_.layers.size();
  if (options.upto > count) {
    throw Error(ErrorKind::kUsage, EINVAL,
                path + ": --upto " + std::to_string(options.upto) + " but the image has only " +
                    std::to_string(count) + " layers");
  }
  if (options.upto > 0) count = options.upto;

  std::map<std::string, size_t> slot_of_key;
  for (size_t i = 0; i < count; ++i) {
    const LayerBlob& blob = self->image_.layers[i];
    auto [it, inserted] = slot_of_key.try_emplace(LayerKey(blob), self->slots_.size());
    if (inserted) {
      auto slot = std::make_unique<Slot>();
      slot->first_position = i;
      slot->blob = &blob;
      self->slots_.push_back(std::move(slot));
    }
    self->position_slot_.push_back(it->second);
  }
  std::vector<bool> queued(self->slots_.size(), false);
  for (size_t i = count; i-- > 0;) {
    size_t s = self->position_slot_[i];
    if (!queued[s]) self->queue_.push_back(s);
    queued[s] = true;
  }
  if (self->slots_.empty()) {
    self->BuildTree();
  } else {
    unsigned workers = std::max(1u, std::min<unsigned>(threads, self->slots_.size()));
    for (unsigned w = 0; w < workers; ++w)
      self->workers_.emplace_back([raw = self.get()] { raw->Work(); });
  }
  return self;
}

LazyImage::~LazyImage() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  for (auto& worker : workers_) worker.join();
}

void LazyImage::Work() {
  while (true) {
    size_t s = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || next_ >= queue_.size()) return;
      s = queue_[next_++];
      slots_[s]->state = LayerProgress::State::kIndexing;
      slots_[s]->start = std::chrono::steady_clock::now();
    }
    Slot& slot = *slots_[s];
    std::shared_ptr<const LayerIndex> index;
    std::optional<CapturedError> error;
    bool from_cache = false;
    try {
      index = LoadLayer(cache_.get(), *files_, image_path_, *slot.blob, slot.first_position,
                        options_, slot.progress, &from_cache);
    } catch (...) {
      error = CapturedError::FromCurrent();
    }
    bool last = false;
    {
      std::lock_guard lock(mutex_);
      slot.end = std::chrono::steady_clock::now();
      slot.index = std::move(index);
      slot.from_cache = from_cache;
      slot.state = error ? LayerProgress::State::kFailed : LayerProgress::State::kReady;
      if (error && !first_failure_) first_failure_ = error;
      slot.error = std::move(error);
      last = ++finished_slots_ == slots_.size();
    }
    changed_.notify_all();
    if (last) BuildTree();
  }
}

void LazyImage::BuildTree() {
  std::optional<CapturedError> error;
  std::shared_ptr<const UnionTree> tree;
  std::vector<std::shared_ptr<const LayerIndex>> layers;
  for (size_t s : position_slot_) {
    if (slots_[s]->error) {
      error = slots_[s]->error;
      break;
    }
    layers.push_back(slots_[s]->index);
  }
  // The builder is freed only after the tree is published: freeing its maps is ~40% of the
  // work on a 200k-entry image, and nobody needs to wait for it.
  std::unique_ptr<UnionBuilder> builder;
  std::vector<std::string> warnings;
  WarningSink collect = [&](const std::string& warning) {
    warnings.push_back(warning);
    if (options_.warn) options_.warn(warning);
  };
  if (!error) {
    try {
      auto start = std::chrono::steady_clock::now();
      if (cache_) tree = LoadCachedUnion(cache_->dir(), layers, image_path_, options_.warn);
      if (tree) {
        if (options_.info) options_.info("union tree: loaded from the cache");
      } else {
        builder = std::make_unique<UnionBuilder>(std::move(layers), collect);
        tree = builder->ApplyAllAndFreeze();
        if (options_.info) options_.info("union tree: built in " + SecondsSince(start));
      }
    } catch (...) {
      error = CapturedError::FromCurrent();
    }
  }
  {
    std::lock_guard lock(mutex_);
    tree_error_ = error;
    if (error && !first_failure_) first_failure_ = error;
    if (tree) tree_.store(tree);
    finished_ = true;
  }
  changed_.notify_all();
  if (tree) {
    for (auto& slot : slots_) {
      std::lock_guard lock(slot->view_mutex);
      slot->view.reset();
    }
  }
  if (builder) {  // built here, not loaded from the cache
    if (tree && cache_) {
      StoreCachedUnion(cache_->dir(), *tree, warnings, image_path_, options_.warn);
    }
    builder.reset();
    ::malloc_trim(0);  // hand the builder's temporary maps back to the system
  }
}

const LazyImage::Slot& LazyImage::SlotOf(uint32_t k) const {
  if (k >= position_slot_.size()) {
    throw Error(ErrorKind::kInternal, EINVAL, "no layer position " + std::to_string(k));
  }
  return *slots_[position_slot_[k]];
}

void LazyImage::Rethrow(const Slot& slot) const {
  slot.error->Throw();
}

std::shared_ptr<const LayerIndex> LazyImage::TryLayer(uint32_t k) const {
  const Slot& slot = SlotOf(k);
  std::lock_guard lock(mutex_);
  return slot.index;
}

std::shared_ptr<const LayerView> LazyImage::TryView(uint32_t k) const {
  Slot& slot = const_cast<Slot&>(SlotOf(k));
  std::shared_ptr<const LayerIndex> index = TryLayer(k);
  if (!index) return nullptr;
  std::lock_guard lock(slot.view_mutex);
  if (!slot.view) slot.view = std::make_shared<LayerView>(index);
  return slot.view;
}

std::shared_ptr<const LayerView> LazyImage::WaitView(uint32_t k) const {
  const Slot& slot = SlotOf(k);
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
      return slot.state == LayerProgress::State::kReady ||
             slot.state == LayerProgress::State::kFailed;
    });
    if (slot.error) Rethrow(slot);
  }
  return TryView(k);
}

std::shared_ptr<const UnionTree> LazyImage::WaitTree() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return finished_; });
  if (tree_error_) tree_error_->Throw();
  return tree_.load();
}

std::vector<std::shared_ptr<const LayerIndex>> LazyImage::WaitLayers() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return finished_slots_ == slots_.size(); });
  std::vector<std::shared_ptr<const LayerIndex>> layers;
  for (size_t s : position_slot_) {
    if (slots_[s]->error) Rethrow(*slots_[s]);
    layers.push_back(slots_[s]->index);
  }
  return layers;
}

std::vector<LayerProgress> LazyImage::Progress() const {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  std::vector<LayerProgress> out;
  for (size_t s : position_slot_) {
    const Slot& slot = *slots_[s];
    LayerProgress p;
    p.state = slot.state;
    p.total = slot.blob->blob->Size();
    bool over = p.state == LayerProgress::State::kReady || p.state == LayerProgress::State::kFailed;
    p.done = over ? p.total : std::min(p.total, slot.progress->load(std::memory_order_relaxed));
    if (p.state != LayerProgress::State::kQueued) {
      p.seconds = std::chrono::duration<double>((over ? slot.end : now) - slot.start).count();
    }
    p.cached = slot.from_cache;
    if (slot.error) p.error = slot.error->message();
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<CapturedError> LazyImage::FirstFailure() const {
  std::lock_guard lock(mutex_);
  return first_failure_;
}

bool LazyImage::Finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

bool LazyImage::WaitFinished(double seconds) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return finished_; });
}

}  // namespace imgmount
