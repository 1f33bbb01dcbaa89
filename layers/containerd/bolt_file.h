// A small read-only reader of bbolt databases (containerd's meta.db), for lookups by key and
// listings of buckets. The file is untrusted input and may be written by a running daemon while
// it is read: every page id, offset, count and depth is checked, and a page that breaks a rule
// throws kBadImage saying that the file may be changing (retry).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "layers/source/byte_source.h"

namespace imgmount {

/// One key of a bucket: a plain value or a nested bucket.
struct BoltEntry {
  std::string key;
  /// The value's bytes (for a bucket: its root page, sequence and inline page).
  std::string value;
  bool is_bucket = false;
};

/// A bucket of an open BoltFile: its root page, or the inline page it holds in its value.
struct BoltBucket {
  /// Root page id; 0 for an inline bucket.
  uint64_t root = 0;
  /// The inline bucket's page (header and elements) when root is 0.
  std::string inline_page;
};

/// A bbolt database read through a byte source, as of its newest valid meta page.
class BoltFile {
 public:
  /// Reads the meta pages of `source` (named `name` in errors) and keeps the newer one whose
  /// magic, version and checksum verify. Throws kBadImage if neither does.
  BoltFile(SourcePtr source, std::string name);

  /// The transaction id of the meta page in use.
  uint64_t txid() const { return txid_; }
  /// The page size the meta page states.
  uint32_t page_size() const { return page_size_; }

  /// The root bucket (whose keys are the top-level buckets).
  BoltBucket Root() const;
  /// The nested bucket `key` of `bucket`, or nullopt if there is no such key or it is no bucket.
  std::optional<BoltBucket> Child(const BoltBucket& bucket, std::string_view key) const;
  /// The plain value `key` of `bucket`, or nullopt if there is none (or it is a bucket).
  std::optional<std::string> Value(const BoltBucket& bucket, std::string_view key) const;
  /// The bucket an entry of Entries() with is_bucket stands for.
  BoltBucket AsBucket(const BoltEntry& entry) const;
  /// Every key of `bucket` in stored order.
  std::vector<BoltEntry> Entries(const BoltBucket& bucket) const;

  /// The transaction id of the newest valid meta page of the file as it is now (the source read
  /// again), or nullopt if none verifies: a reader compares it with txid() after its lookups.
  std::optional<uint64_t> CurrentTxid() const;

 private:
  struct Meta {
    uint32_t page_size = 0;
    uint64_t root = 0;
    uint64_t high_water = 0;
    uint64_t txid = 0;
  };
  std::optional<Meta> ReadMeta(uint64_t offset, std::string* why) const;
  std::optional<Meta> NewestMeta(std::string* why) const;
  std::shared_ptr<const std::string> Page(uint64_t id) const;
  std::optional<BoltEntry> Find(const BoltBucket& bucket, std::string_view key) const;
  void Walk(std::string_view page, uint64_t id, int depth, std::set<uint64_t>& seen,
            std::vector<BoltEntry>& out) const;
  [[noreturn]] void Fail(const std::string& what) const;

  SourcePtr source_;
  std::string name_;
  uint32_t page_size_ = 0;
  uint64_t root_ = 0;
  uint64_t high_water_ = 0;
  uint64_t txid_ = 0;
  /// Elements listed by Entries so far (bounded by the file's size).
  mutable uint64_t listed_ = 0;
  /// Pages read so far, by id (a BoltFile is used by one thread).
  mutable std::map<uint64_t, std::shared_ptr<const std::string>> pages_;
};

/// Decodes a signed varint as Go's binary.PutVarint writes it (zig-zag, 7 bits per byte), the
/// form containerd stores sizes in; nullopt if `bytes` is not exactly one varint.
std::optional<int64_t> DecodeGoVarint(std::string_view bytes);

}  // namespace imgmount
