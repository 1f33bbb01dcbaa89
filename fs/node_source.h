// What a FUSE inode number stands for, answered from the union tree once it is built and, before
// that, by resolving paths top-down over the layers indexed so far (LazyResolver). Both give the
// same inode numbers (inode_numbers.h); answers made before the tree exists are not cached by the
// kernel, since attributes such as a file's link count are final only in the tree.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "index/view/lazy_image.h"

namespace imgmount {

/// One inode of the mounted image, with everything the FUSE operations need to answer for it.
struct Node {
  /// Inode number (FUSE node id).
  uint64_t ino = 0;
  /// Never kHardlink.
  MemberType type = MemberType::kDirectory;
  /// The layer and member that supply it; null / kNoIndex for an implied directory.
  std::shared_ptr<const LayerIndex> layer;
  uint32_t layer_position = kNoIndex;
  uint32_t member = kNoIndex;
  /// The attributes as stat(2) shows them.
  struct stat st {};
  /// From the finished tree (final attributes; tree_id is its id there).
  bool settled = false;
  uint32_t tree_id = kNoIndex;
  /// A directory whose supplying layer may still change once lower layers are indexed.
  bool provisional = false;
};

/// Finds nodes by number or by name, from the tree or lazily; thread-safe.
class NodeSource {
 public:
  /// Serves `image`, which goes on indexing in the background.
  explicit NodeSource(std::shared_ptr<LazyImage> image) : image_(std::move(image)) {}

  /// The image.
  const LazyImage& image() const { return *image_; }

  /// The node numbered `ino`, or nullopt if there is none. Throws a layer's indexing error.
  std::optional<Node> Find(uint64_t ino) const;

  /// The entry `name` of directory `parent`, or nullopt if there is none; throws ENOTDIR when
  /// `parent` is not a directory, and a layer's indexing error when one is needed.
  std::optional<Node> Lookup(uint64_t parent, std::string_view name) const;

  /// Waits for the union tree (readdir needs every layer); throws a layer's error.
  std::shared_ptr<const UnionTree> WaitTree() const { return image_->WaitTree(); }

  /// The node of tree id `id`.
  static Node FromTree(const std::shared_ptr<const UnionTree>& tree, uint32_t id);

 private:
  std::optional<Node> Resolve(const std::string& path) const;
  Node LazyRoot() const;
  std::optional<std::string> DirectoryPath(uint64_t ino) const;

  std::shared_ptr<LazyImage> image_;
  /// Paths of the directories handed out before the tree existed, by number.
  mutable std::mutex paths_mutex_;
  mutable std::unordered_map<uint64_t, std::string> directory_paths_;
};

}  // namespace imgmount
