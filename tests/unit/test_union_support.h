// Helpers for the union golden tests: layers written member by member into an in-memory stream,
// and a text rendering of a whole union tree to compare with listings written by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "index/layer/layer_index.h"
#include "index/union/union_tree.h"

namespace imgmount::testing {

/// Builds one LayerIndex; regular file contents are appended to the layer's stream.
class LayerMaker {
 public:
  /// Starts an empty layer named `name` in messages.
  explicit LayerMaker(std::string name = "test layer") : name_(std::move(name)) {}

  /// Adds a directory.
  LayerMaker& Dir(const std::string& path, uint32_t mode = 0755);
  /// Adds a regular file holding `content`.
  LayerMaker& File(const std::string& path, const std::string& content, uint32_t mode = 0644);
  /// Adds a symlink to `target`.
  LayerMaker& Symlink(const std::string& path, const std::string& target);
  /// Adds a hardlink to the normalised path `target`.
  LayerMaker& Hardlink(const std::string& path, const std::string& target);
  /// Adds a character device, block device or fifo.
  LayerMaker& Special(const std::string& path, MemberType type, uint32_t major = 0,
                      uint32_t minor = 0);
  /// Adds a sparse file of logical `size` whose data runs are (offset, bytes) in order.
  LayerMaker& Sparse(const std::string& path, uint64_t size,
                     const std::vector<std::pair<uint64_t, std::string>>& runs);
  /// Adds a member as given (its data_offset is kept).
  LayerMaker& Raw(NewMember member);
  /// Sets the owner of the last member added.
  LayerMaker& Owner(uint32_t uid, uint32_t gid);
  /// Sets the modification time of the last member added.
  LayerMaker& Mtime(int64_t sec, uint32_t nsec = 0);
  /// Appends bytes to the stream without a member (e.g. tar headers between data).
  LayerMaker& Pad(size_t bytes);

  /// The finished layer.
  std::shared_ptr<const LayerIndex> Make() const;

 private:
  LayerMaker& Add(const std::string& path, MemberType type, uint32_t mode);
  std::string name_;
  std::vector<NewMember> members_;
  std::string data_;
};

/// A built tree with the warnings issued while building it.
struct BuiltUnion {
  std::shared_ptr<const UnionTree> tree;
  std::vector<std::string> warnings;
};

/// Checks the structure of a tree (sorted entries, parents, nlink, reachability); "" if sound.
std::string CheckInvariants(const UnionTree& tree);

/// Builds the union of `layers` (bottom first), collecting warnings; throws if CheckInvariants
/// finds the tree unsound. The tree returned is the one read back from a union cache file
/// (RoundTrip), so every golden test also checks the file.
BuiltUnion BuildUnion(std::vector<std::shared_ptr<const LayerIndex>> layers);

/// Fake cache stems for `count` layers ("sha256-000..0", "sha256-000..1", ...).
std::vector<std::string> TestStems(size_t count);

/// Writes `tree` as a union file (with `warnings`), reads it back over the same layers and
/// returns the loaded tree after checking that its tables are byte for byte those of `tree`,
/// that it renders the same and finds every inode by number; throws std::logic_error if not.
std::shared_ptr<const UnionTree> RoundTrip(const UnionTree& tree,
                                           const std::vector<std::string>& warnings = {});

/// One line per name in depth-first name order: "path type mode uid:gid nNLINK[ @mtime] detail",
/// with "/" for the root, types d - l c b p, file content quoted, symlink targets after "->".
std::string Render(const UnionTree& tree);

/// Joins lines with a trailing newline each, to write expected listings.
std::string Lines(const std::vector<std::string>& lines);

/// The whole content of regular file `path`, read through UnionTree::Read in `chunk`-byte steps.
std::string ReadFile(const UnionTree& tree, const std::string& path, size_t chunk = 4096);

/// True if any warning contains `part`.
bool HasWarning(const BuiltUnion& built, const std::string& part);

}  // namespace imgmount::testing
