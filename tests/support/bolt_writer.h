// A minimal writer of bbolt database files (layers/containerd/bolt_file.cpp documents the
// subset), for unit tests and fuzz seeds: leaf and branch pages, page and inline buckets, the
// two meta pages. Pages may be altered before the file is assembled, to make hostile files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace imgmount::test {

/// One key of a leaf page: a plain value, or a bucket (value from BucketAt or InlineBucket).
struct BoltItem {
  std::string key;
  std::string value;
  bool bucket = false;
};

/// Builds a bbolt file page by page.
class BoltWriter {
 public:
  /// Starts a file of `page_size` bytes a page; pages 0 and 1 are the metas, 2 the freelist.
  explicit BoltWriter(uint32_t page_size = 4096) : page_size_(page_size) {}

  /// Adds a leaf page holding `items` (spanning more pages if they need it); returns its id.
  uint64_t Leaf(const std::vector<BoltItem>& items);
  /// Adds a branch page whose children are (first key, page id); returns its id.
  uint64_t Branch(const std::vector<std::pair<std::string, uint64_t>>& children);
  /// The bytes of page `id` (and its overflow), to alter.
  std::string& Page(uint64_t id) { return pages_.at(id); }

  /// The value of a bucket element whose root is page `root`.
  static std::string BucketAt(uint64_t root);
  /// The value of an inline bucket holding `items`.
  static std::string InlineBucket(const std::vector<BoltItem>& items);

  /// The file: both meta pages rooted at page `root`, meta 0 with `txid`, meta 1 with txid + 1.
  std::string Finish(uint64_t root, uint64_t txid = 1) const;
  /// The first byte of meta page `n` (0 or 1) in Finish's output.
  uint64_t MetaOffset(int n) const { return static_cast<uint64_t>(n) * page_size_; }

 private:
  uint32_t page_size_;
  uint64_t next_ = 3;
  std::map<uint64_t, std::string> pages_;
};

/// The bytes of a leaf page with id `id` holding `items` (no padding).
std::string LeafPageBytes(uint64_t id, const std::vector<BoltItem>& items);

/// An image record of containerd's metadata, for ContainerdMetaDb.
struct BoltImage {
  std::string ns;
  std::string name;
  std::string digest;
  std::string media_type;
  int64_t size = 0;
};

/// A meta.db as containerd 1.6 lays it out: v1/<ns>/images/<name>/target/{digest, mediatype,
/// size (Go varint)}; each namespace's images bucket on a page of its own, the rest inline.
std::string ContainerdMetaDb(const std::vector<BoltImage>& images, uint32_t page_size = 4096);

/// Go's binary.PutVarint of `value`.
std::string GoVarint(int64_t value);

}  // namespace imgmount::test
