// Helpers for the index file and index cache tests: temporary directories, layer blobs made from
// tar entries with the project's fixture builder, images written to disk, and a complete text
// rendering of a LayerIndex to compare a loaded index with the one that was stored.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "index/view/image_view.h"
#include "layers/image/image.h"
#include "tests/support/codec.h"
#include "tests/unit/test_index_cache_images.h"

namespace imgmount::testing {
using namespace imgmount::fixture;

/// A temporary directory removed (recursively) when this goes away.
class TempDir {
 public:
  /// Creates /tmp/imgmount-test-XXXXXX.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory.
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Mounts a filesystem for the test and unmounts it afterwards; ok() is false without privileges.
class TestMount {
 public:
  /// mount(2) with these arguments.
  TestMount(const char* source, const std::string& target, const char* type, unsigned long flags,
            const char* data);
  ~TestMount();
  TestMount(const TestMount&) = delete;
  TestMount& operator=(const TestMount&) = delete;
  /// Whether the mount succeeded.
  bool ok() const { return mounted_; }

 private:
  std::string target_;
  bool mounted_ = false;
};

/// A layer blob of `tar` compressed with `method`, with both digests set as a manifest would.
LayerBlob MakeBlob(const std::string& tar, Compression method, size_t frame_size = 64 * 1024);

/// Every field of every member, the stream index and the digests of `index`, one line each.
std::string Dump(const LayerIndex& index);

/// The whole content of `path` ("" if it cannot be read).
std::string ReadFileBytes(const std::string& path);

/// Replaces the file at `path` with `bytes`.
void WriteFileBytes(const std::string& path, const std::string& bytes);

/// The largest file of an OCI layout's blobs (the layer, in one-layer images).
std::string LargestBlob(const std::string& layout);

/// What OpenImageView told, and the tree it built rendered as text.
struct Opened {
  /// Notes from ViewOptions::info.
  std::vector<std::string> notes;
  /// Warnings.
  std::vector<std::string> warnings;
  /// Render() of the tree.
  std::string tree;
  /// Number of notes saying "loaded from cache" and "indexed".
  size_t from_cache = 0;
  /// See from_cache.
  size_t indexed = 0;
};

/// Opens `image` with the cache in `cache_dir` ("" = none) and decode options `decode`.
Opened OpenWithCache(const std::string& image, const std::string& cache_dir,
                     const DecodeOptions& decode = {});

/// Names of the files in `dir` ending in `suffix`.
std::vector<std::string> FilesEnding(const std::string& dir, const std::string& suffix);

/// How many of `lines` contain `part`.
size_t CountContaining(const std::vector<std::string>& lines, const std::string& part);

}  // namespace imgmount::testing
