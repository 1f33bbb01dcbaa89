// An image whose layers are indexed in the background: the container and manifests are read at
// once, then worker threads index the distinct layers, top layers first, and build the union tree
// when all are in. Until then, callers wait only for the layers they need (see LazyResolver).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "index/cache/index_cache.h"
#include "index/union/layer_view.h"
#include "index/union/union_tree.h"
#include "index/view/view_options.h"
#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/image/image_files.h"

namespace imgmount {

/// Where one layer position's indexing stands, for progress displays.
struct LayerProgress {
  enum class State { kQueued, kIndexing, kReady, kFailed };
  State state = State::kQueued;
  /// Bytes of the blob read so far, and the blob's size.
  uint64_t done = 0;
  uint64_t total = 0;
  /// Seconds spent indexing so far (or in all, once finished).
  double seconds = 0;
  /// Whether the layer's index came from the index cache (kReady): no rate to speak of.
  bool cached = false;
  /// The error, for kFailed.
  std::string error;
};

/// An image being indexed in the background; thread-safe.
class LazyImage {
 public:
  /// Reads the container and the manifests (throws Error), then starts `threads` workers that
  /// index the layers, top first, and build the union tree.
  static std::shared_ptr<LazyImage> Open(const std::string& path, const ViewOptions& options,
                                         unsigned threads = 2);
  /// Waits for the workers to finish the layer they are indexing, and stops them.
  ~LazyImage();
  LazyImage(const LazyImage&) = delete;
  LazyImage& operator=(const LazyImage&) = delete;

  /// The chosen image (its layers vector covers every layer, also those above --upto).
  const Image& image() const { return image_; }
  /// The container the layers are read from.
  const std::shared_ptr<ImageFiles>& files() const { return files_; }
  /// Number of layer positions in use (after --upto).
  uint32_t layer_count() const { return static_cast<uint32_t>(position_slot_.size()); }

  /// Layer position k's lookup tables if k is indexed (built on first use), else null.
  std::shared_ptr<const LayerView> TryView(uint32_t k) const;
  /// Waits for layer position k to be indexed and returns its lookup tables; throws its error.
  std::shared_ptr<const LayerView> WaitView(uint32_t k) const;
  /// Layer position k's index if it is ready, else null.
  std::shared_ptr<const LayerIndex> TryLayer(uint32_t k) const;

  /// The union tree once built, else null (never waits).
  std::shared_ptr<const UnionTree> tree() const { return tree_.load(); }
  /// Waits for the union tree; throws the first layer error (lowest position) if one failed.
  std::shared_ptr<const UnionTree> WaitTree() const;
  /// Waits for every layer and returns their indexes, bottom first; throws like WaitTree.
  std::vector<std::shared_ptr<const LayerIndex>> WaitLayers() const;

  /// Where each layer position stands.
  std::vector<LayerProgress> Progress() const;
  /// The error of the first layer to fail (in time), or else of the tree's build; nullopt while
  /// nothing failed. A failure is final: the tree will not be built.
  std::optional<CapturedError> FirstFailure() const;
  /// Whether all work is over (the tree is built, or a layer or the build failed).
  bool Finished() const;
  /// Waits until Finished(), at most `seconds`; returns Finished().
  bool WaitFinished(double seconds) const;

 private:
  struct Slot;
  LazyImage() = default;
  void Work();
  void BuildTree();
  const Slot& SlotOf(uint32_t k) const;
  [[noreturn]] void Rethrow(const Slot& slot) const;

  ViewOptions options_;
  std::string image_path_;
  std::unique_ptr<IndexCache> cache_;
  std::shared_ptr<ImageFiles> files_;
  Image image_;
  std::vector<std::unique_ptr<Slot>> slots_;
  /// Slot of each layer position.
  std::vector<size_t> position_slot_;
  /// Slots in the order they are indexed (top layers first).
  std::vector<size_t> queue_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  size_t next_ = 0;
  size_t finished_slots_ = 0;
  bool finished_ = false;
  bool stopping_ = false;
  std::optional<CapturedError> tree_error_;
  std::optional<CapturedError> first_failure_;
  std::atomic<std::shared_ptr<const UnionTree>> tree_;
  std::vector<std::thread> workers_;
};

}  // namespace imgmount
