// The bbolt subset read here (etcd-io/bbolt, format version 2, little-endian machines):
//
//   page      = header (16 bytes: id u64, flags u16, count u16, overflow u32) + body; a page
//               spans (overflow + 1) * page_size bytes and sits at id * page_size.
//   meta page = pages 0 and 1; body: magic u32 (0xED0CDAED), version u32 (2), page_size u32,
//               flags u32, root bucket (root page u64, sequence u64), freelist u64, high-water
//               page id u64, txid u64, checksum u64 = FNV-1a 64 of the body before it. The
//               newer meta (higher txid) whose fields verify is used, else the other one.
//   branch    = flags 0x01; count elements of 16 bytes (pos u32, ksize u32, child page id u64);
//               the key sits pos bytes after its element; child i holds keys >= key i.
//   leaf      = flags 0x02; count elements of 16 bytes (flags u32, pos u32, ksize u32, vsize
//               u32); key then value sit pos bytes after the element; element flag 0x01 marks a
//               nested bucket, whose value is (root page u64, sequence u64) followed, when the
//               root is 0, by the bucket's own inline leaf page.
//
// Nothing else (freelist, free pages, sequences) is read. Every page id is checked against the
// meta's high-water mark and the file size, every element against its page's span, the depth of
// a descent and the pages of a walk are bounded (a page met twice is a cycle), and a page must
// carry its own id. A page belongs to one bucket only, so a file lists at most one element per
// 16 bytes of it: listings beyond twice that (buckets sharing pages) stop with an error instead
// of growing without bound. A daemon writing the file while it is read shows up as one of these
// faults, whose message says to retry.
#include "layers/containerd/bolt_file.h"

#include <functional>
#include <set>
#include <span>

#include "layers/base/error.h"

namespace imgmount {
namespace {

constexpr uint32_t kMagic = 0xED0CDAED;
constexpr uint32_t kVersion = 2;
constexpr uint64_t kHeaderSize = 16;
constexpr uint64_t kElementSize = 16;
constexpr uint64_t kMetaSize = 64;  // the meta fields after the page header, checksum included
constexpr uint16_t kBranchPage = 0x01;
constexpr uint16_t kLeafPage = 0x02;
constexpr uint32_t kBucketElement = 0x01;
constexpr uint32_t kMinPageSize = 512;
constexpr uint32_t kMaxPageSize = 1U << 20;
constexpr uint64_t kMaxPageSpan = 256ULL << 20;
constexpr int kMaxDepth = 32;

uint64_t Le(std::string_view bytes, uint64_t at, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<uint64_t>(i)]);
  }
  return value;
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool IsPowerOfTwo(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

// The element fields of a page, checked against its bytes.
struct PageView {
  uint16_t flags = 0;
  uint16_t count = 0;
};

}  // namespace

std::optional<int64_t> DecodeGoVarint(std::string_view bytes) {
  uint64_t x = 0;
  int shift = 0;
  for (size_t i = 0; i < bytes.size() && i < 10; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (i == 9 && b > 1) return std::nullopt;
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) == 0) {
      if (i + 1 != bytes.size()) return std::nullopt;
      uint64_t magnitude = x >> 1;
      return (x & 1) != 0 ? static_cast<int64_t>(~magnitude) : static_cast<int64_t>(magnitude);
    }
  }
  return std::nullopt;
}

BoltFile::BoltFile(SourcePtr source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {
  std::string why;
  std::optional<Meta> meta = NewestMeta(&why);
  if (!meta) ThrowBadImage(name_ + ": not a bbolt database, or one being rewritten (" + why + ")");
  page_size_ = meta->page_size;
  root_ = meta->root;
  high_water_ = meta->high_water;
  txid_ = meta->txid;
}

std::optional<BoltFile::Meta> BoltFile::ReadMeta(uint64_t offset, std::string* why) const {
  std::string bytes(kHeaderSize + kMetaSize, '\0');
  if (offset > source_->Size() || source_->Size() - offset < bytes.size()) {
    *why = "the file ends before the meta page at " + std::to_string(offset);
    return std::nullopt;
  }
  size_t got = source_->ReadAt(offset, std::as_writable_bytes(std::span(bytes)));
  if (got != bytes.size()) {
    *why = "short read of the meta page at " + std::to_string(offset);
    return std::nullopt;
  }
  std::string_view body = std::string_view(bytes).substr(kHeaderSize);
  if (Le(body, 0, 4) != kMagic) {
    *why = "bad magic in the meta page at " + std::to_string(offset);
    return std::nullopt;
  }
  if (Le(body, 4, 4) != kVersion) {
    *why = "format version " + std::to_string(Le(body, 4, 4)) + ", not 2";
    return std::nullopt;
  }
  if (Fnv1a64(body.substr(0, kMetaSize - 8)) != Le(body, kMetaSize - 8, 8)) {
    *why = "bad checksum of the meta page at " + std::to_string(offset);
    return std::nullopt;
  }
  Meta meta;
  meta.page_size = static_cast<uint32_t>(Le(body, 8, 4));
  meta.root = Le(body, 16, 8);
  meta.high_water = Le(body, 40, 8);
  meta.txid = Le(body, 48, 8);
  if (!IsPowerOfTwo(meta.page_size) || meta.page_size < kMinPageSize ||
      meta.page_size > kMaxPageSize) {
    *why = "page size " + std::to_string(meta.page_size) + " out of range";
    return std::nullopt;
  }
  if (meta.root < 2 || meta.root >= meta.high_water) {
    *why = "root page " + std::to_string(meta.root) + " out of range";
    return std::nullopt;
  }
  return meta;
}

std::optional<BoltFile::Meta> BoltFile::NewestMeta(std::string* why) const {
  std::string why0;
  std::string why1;
  std::optional<Meta> first = ReadMeta(0, &why0);
  std::optional<Meta> second;
  if (first) {
    second = ReadMeta(first->page_size, &why1);
    if (second && second->page_size != first->page_size) second.reset();
  } else {
    // Without meta 0 the page size is unknown: the second meta page must state its own offset.
    for (uint32_t size = kMinPageSize; size <= kMaxPageSize && !second; size *= 2) {
      std::string ignored;
      second = ReadMeta(size, &ignored);
      if (second && second->page_size != size) second.reset();
    }
    if (!second) why1 = "no valid second meta page";
  }
  if (first && second) return second->txid > first->txid ? second : first;
  if (first) return first;
  if (second) return second;
  *why = why0 + "; " + why1;
  return std::nullopt;
}

std::optional<uint64_t> BoltFile::CurrentTxid() const {
  std::string why;
  std::optional<Meta> meta = NewestMeta(&why);
  if (!meta) return std::nullopt;
  return meta->txid;
}

void BoltFile::Fail(const std::string& what) const {
  ThrowBadImage(name_ + ": " + what +
                " (the database may be changing while it is read: retry; else it is damaged)");
}

std::shared_ptr<const std::string> BoltFile::Page(uint64_t id) const {
  if (auto it = pages_.find(id); it != pages_.end()) return it->second;
  if (id < 2 || id >= high_water_) {
    Fail("page " + std::to_string(id) + " out of range (pages 2.." + std::to_string(high_water_) +
         ")");
  }
  uint64_t size = source_->Size();
  if (id > size / page_size_) Fail("page " + std::to_string(id) + " lies past the end");
  uint64_t offset = id * page_size_;
  std::string header(kHeaderSize, '\0');
  if (size - offset < kHeaderSize ||
      source_->ReadAt(offset, std::as_writable_bytes(std::span(header))) != kHeaderSize) {
    Fail("page " + std::to_string(id) + " lies past the end");
  }
  if (Le(header, 0, 8) != id) {
    Fail("page " + std::to_string(id) + " carries the id " + std::to_string(Le(header, 0, 8)));
  }
  uint64_t span = (Le(header, 12, 4) + 1) * static_cast<uint64_t>(page_size_);
  if (span > kMaxPageSpan || span > size - offset) {
    Fail("page " + std::to_string(id) + " overflows past the end (" + std::to_string(span) +
         " bytes)");
  }
  auto page = std::make_shared<std::string>(span, '\0');
  if (source_->ReadAt(offset, std::as_writable_bytes(std::span(*page))) != span) {
    Fail("short read of page " + std::to_string(id));
  }
  pages_.emplace(id, page);
  return page;
}

namespace {

// The header of `page`, with its elements checked to fit; `where` names it in errors.
PageView ViewPage(std::string_view page, const std::string& where,
                  const std::function<void(const std::string&)>& fail) {
  if (page.size() < kHeaderSize) fail(where + " is shorter than a page header");
  PageView view;
  view.flags = static_cast<uint16_t>(Le(page, 8, 2));
  view.count = static_cast<uint16_t>(Le(page, 10, 2));
  if (view.flags != kBranchPage && view.flags != kLeafPage) {
    fail(where + " is neither a branch nor a leaf page (flags " + std::to_string(view.flags) + ")");
  }
  if (kHeaderSize + view.count * kElementSize > page.size()) {
    fail(where + ": " + std::to_string(view.count) + " elements overflow the page");
  }
  return view;
}

// The bytes [element + pos, + length) of `page`, checked to lie inside it.
std::string_view Slice(std::string_view page, uint64_t element, uint64_t pos, uint64_t length,
                       const std::string& where,
                       const std::function<void(const std::string&)>& fail) {
  uint64_t start = element + pos;
  if (start > page.size() || length > page.size() - start) {
    fail(where + ": an element points outside its page");
  }
  return page.substr(start, length);
}

}  // namespace

BoltBucket BoltFile::Root() const {
  return BoltBucket{root_, ""};
}

std::optional<BoltEntry> BoltFile::Find(const BoltBucket& bucket, std::string_view key) const {
  auto fail = [this](const std::string& what) { Fail(what); };
  std::shared_ptr<const std::string> held;
  std::string_view page = bucket.inline_page;
  std::string where = "an inline bucket";
  if (bucket.root != 0) {
    held = Page(bucket.root);
    page = *held;
    where = "page " + std::to_string(bucket.root);
  }
  std::vector<uint64_t> path = {bucket.root};
  for (int depth = 0;; ++depth) {
    if (depth > kMaxDepth) Fail("the tree is deeper than " + std::to_string(kMaxDepth));
    PageView view = ViewPage(page, where, fail);
    if (bucket.root == 0 && view.flags != kLeafPage) Fail(where + " is not a leaf page");
    if (view.flags == kLeafPage) {
      for (uint64_t i = 0; i < view.count; ++i) {
        uint64_t element = kHeaderSize + i * kElementSize;
        uint64_t pos = Le(page, element + 4, 4);
        uint64_t ksize = Le(page, element + 8, 4);
        uint64_t vsize = Le(page, element + 12, 4);
        std::string_view both = Slice(page, element, pos, ksize + vsize, where, fail);
        if (both.substr(0, ksize) != key) continue;
        bool nested = (Le(page, element, 4) & kBucketElement) != 0;
        return BoltEntry{std::string(key), std::string(both.substr(ksize)), nested};
      }
      return std::nullopt;
    }
    if (view.count == 0) Fail(where + " is a branch page without elements");
    uint64_t child = 0;
    for (uint64_t i = 0; i < view.count; ++i) {
      uint64_t element = kHeaderSize + i * kElementSize;
      uint64_t pos = Le(page, element, 4);
      uint64_t ksize = Le(page, element + 4, 4);
      std::string_view element_key = Slice(page, element, pos, ksize, where, fail);
      if (i > 0 && element_key > key) break;
      child = Le(page, element + 8, 8);
    }
    for (uint64_t seen : path) {
      if (seen == child) Fail("page " + std::to_string(child) + " is its own ancestor");
    }
    path.push_back(child);
    held = Page(child);
    page = *held;
    where = "page " + std::to_string(child);
  }
}

void BoltFile::Walk(std::string_view page, uint64_t id, int depth, std::set<uint64_t>& seen,
                    std::vector<BoltEntry>& out) const {
  auto fail = [this](const std::string& what) { Fail(what); };
  if (depth > kMaxDepth) Fail("the tree is deeper than " + std::to_string(kMaxDepth));
  std::string where = id == 0 ? "an inline bucket" : "page " + std::to_string(id);
  PageView view = ViewPage(page, where, fail);
  if (id == 0 && view.flags != kLeafPage) Fail(where + " is not a leaf page");
  for (uint64_t i = 0; i < view.count; ++i) {
    uint64_t element = kHeaderSize + i * kElementSize;
    if (view.flags == kLeafPage) {
      uint64_t pos = Le(page, element + 4, 4);
      uint64_t ksize = Le(page, element + 8, 4);
      uint64_t vsize = Le(page, element + 12, 4);
      std::string_view both = Slice(page, element, pos, ksize + vsize, where, fail);
      bool nested = (Le(page, element, 4) & kBucketElement) != 0;
      if (++listed_ > 2 * (source_->Size() / kElementSize) + 1024) {
        Fail("buckets share pages: more elements listed than the file can hold");
      }
      out.push_back(
          BoltEntry{std::string(both.substr(0, ksize)), std::string(both.substr(ksize)), nested});
      continue;
    }
    uint64_t child = Le(page, element + 8, 8);
    if (!seen.insert(child).second) Fail("page " + std::to_string(child) + " is reached twice");
    std::shared_ptr<const std::string> held = Page(child);
    Walk(*held, child, depth + 1, seen, out);
  }
}

std::vector<BoltEntry> BoltFile::Entries(const BoltBucket& bucket) const {
  std::vector<BoltEntry> out;
  std::set<uint64_t> seen = {bucket.root};
  if (bucket.root == 0) {
    Walk(bucket.inline_page, 0, 0, seen, out);
  } else {
    std::shared_ptr<const std::string> held = Page(bucket.root);
    Walk(*held, bucket.root, 0, seen, out);
  }
  return out;
}

std::optional<std::string> BoltFile::Value(const BoltBucket& bucket, std::string_view key) const {
  std::optional<BoltEntry> entry = Find(bucket, key);
  if (!entry || entry->is_bucket) return std::nullopt;
  return entry->value;
}

std::optional<BoltBucket> BoltFile::Child(const BoltBucket& bucket, std::string_view key) const {
  std::optional<BoltEntry> entry = Find(bucket, key);
  if (!entry || !entry->is_bucket) return std::nullopt;
  return AsBucket(*entry);
}

BoltBucket BoltFile::AsBucket(const BoltEntry& entry) const {
  const std::string& key = entry.key;
  const std::string& value = entry.value;
  if (!entry.is_bucket) Fail("\"" + key + "\" is not a bucket");
  if (value.size() < 16) Fail("bucket \"" + key + "\" has a short header");
  BoltBucket child;
  child.root = Le(value, 0, 8);
  if (child.root == 0) {
    child.inline_page = value.substr(16);
  } else if (child.root < 2 || child.root >= high_water_) {
    Fail("bucket \"" + key + "\" has its root at page " + std::to_string(child.root) +
         ", out of range");
  }
  return child;
}

}  // namespace imgmount
