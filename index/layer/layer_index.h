// The faithful table of contents of one layer: every tar member with the offset of its data in
// the layer's uncompressed stream. Stored compactly as fixed-size records, a table of the
// distinct attribute combinations they share, a table of the fields few members have, and one
// string table (the same tables whether built in memory or mapped from the index cache), and
// read through cheap views (TarMember) that point into them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "layers/source/byte_source.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// File type of a tar member.
enum class MemberType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kHardlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
};

/// The stat(2) file type bits (S_IFREG, S_IFDIR, ...) of a member type; a hardlink is a regular
/// file.
uint32_t TypeBits(MemberType type);

/// A uid or gid as a member keeps it: one outside [0, 2^32) becomes 65534 (nobody).
uint32_t MemberOwnerId(int64_t id);

/// One stored run of a sparse file: `length` bytes at logical `offset`, stored back to back.
struct SparseExtent {
  uint64_t offset = 0;
  uint64_t length = 0;
};

/// An extended attribute as offsets into the string table.
struct XattrRecord {
  uint32_t name_offset = 0;
  uint32_t name_length = 0;
  uint32_t value_offset = 0;
  uint32_t value_length = 0;
};

/// The attributes many members share, stored once per distinct combination (20 bytes).
struct AttrRecord {
  /// Permission bits (07777).
  uint16_t mode = 0;
  /// A MemberType.
  uint8_t type = 0;
  /// Always 0.
  uint8_t reserved = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;

  /// Field-wise equality (for interning).
  bool operator==(const AttrRecord&) const = default;
};
static_assert(sizeof(AttrRecord) == 20, "AttrRecord is part of the index file format");

/// The fields few members have, one record per member that has any of them (32 bytes).
struct ExtraRecord {
  uint32_t link_offset = 0;
  uint32_t link_length = 0;
  uint32_t mtime_nsec = 0;
  uint32_t xattr_first = 0;
  uint32_t xattr_count = 0;
  uint32_t sparse_first = 0;
  uint32_t sparse_count = 0;
  /// kExtraSparse or 0.
  uint32_t flags = 0;
};
static_assert(sizeof(ExtraRecord) == 32, "ExtraRecord is part of the index file format");

/// ExtraRecord::flags bit of a sparse file (its runs may be none: a file that is all hole).
inline constexpr uint32_t kExtraSparse = 1;

/// MemberRecord::extra_index of a member without an ExtraRecord (all its rare fields are 0).
inline constexpr uint32_t kNoExtra = 0xffffffff;

/// One member as a fixed-size record (40 bytes); strings live in the string table, shared
/// attributes in the attribute table and rare fields in the extra table.
struct MemberRecord {
  uint64_t data_offset = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t path_offset = 0;
  uint32_t path_length = 0;
  /// Index into IndexTables::attrs.
  uint32_t attr_index = 0;
  /// Index into IndexTables::extras, or kNoExtra.
  uint32_t extra_index = kNoExtra;
};
static_assert(sizeof(MemberRecord) == 40, "MemberRecord is part of the index file format");

/// The tables of one layer index: the in-memory and on-disk form are the same.
struct IndexTables {
  std::span<const MemberRecord> members;
  std::span<const AttrRecord> attrs;
  std::span<const ExtraRecord> extras;
  std::span<const XattrRecord> xattrs;
  std::span<const SparseExtent> sparse;
  std::string_view strings;
};

/// A tar member seen through its index; valid while the LayerIndex lives.
struct TarMember {
  /// Normalised path: no leading "./" or "/", no trailing "/", no empty, "." or ".." components;
  /// "" is the root directory.
  std::string_view path;
  MemberType type = MemberType::kRegular;
  /// Permission bits including setuid, setgid and sticky (07777).
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  /// Logical size of a regular file (a sparse file's full size, holes included); 0 otherwise.
  uint64_t size = 0;
  /// Offset of the member's data in the uncompressed layer stream.
  uint64_t data_offset = 0;
  /// Symlink target as stored, or a hardlink's normalised target path.
  std::string_view link_target;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  /// Extended attributes (name, value) in header order, e.g. ("security.capability", ...).
  std::vector<std::pair<std::string_view, std::string_view>> xattrs;
  /// Whether the file is sparse: its data is `sparse`, and everything else reads as zeros.
  bool is_sparse = false;
  /// Stored runs of a sparse file in logical order (none for a file that is all hole); empty for
  /// a file that is not sparse.
  std::span<const SparseExtent> sparse;
};

/// What a layer's integrity checks found.
struct LayerDigests {
  /// "sha256:..." of the blob, if it was computed while indexing.
  std::string blob;
  /// "sha256:..." of the uncompressed stream (the diff_id), if computed.
  std::string stream;
};

/// Names the index cache entry (cache_dir.h) a layer index is filed under.
struct CacheEntryName {
  /// The cache directory; "" when the layer has no entry (no cache, or an unusable digest).
  std::string dir;
  /// The entry's file-name stem ("sha256-<hex>", "bound-<hex>").
  std::string stem;
};

/// The members of one layer in tar order, and the random-access stream to read their data from.
class LayerIndex {
 public:
  /// Wraps tables whose storage `owner` keeps alive (a builder's vectors or a mapped file).
  LayerIndex(std::string name, IndexTables tables, std::shared_ptr<const void> owner);

  /// Human name of the layer for messages, e.g. "layer 3 (sha256:ab12..)".
  const std::string& name() const { return name_; }
  /// Number of members.
  uint32_t size() const { return static_cast<uint32_t>(tables_.members.size()); }
  /// A view of member `i` (i < size()).
  TarMember member(uint32_t i) const;
  /// The path of member `i` without building a whole view.
  std::string_view path(uint32_t i) const;
  /// The type of member `i`.
  MemberType type(uint32_t i) const {
    return static_cast<MemberType>(tables_.attrs[tables_.members[i].attr_index].type);
  }
  /// The raw tables (for the index cache).
  const IndexTables& tables() const { return tables_; }

  /// Random-access source over the layer's uncompressed tar stream.
  const SourcePtr& stream() const { return stream_; }
  /// How the stream was decoded (access points, span checksums) for the index cache.
  const StreamIndex& stream_index() const { return stream_index_; }
  /// Digests verified while indexing.
  const LayerDigests& digests() const { return digests_; }

  /// Sets the stream, its index and the digests (once, while the index is assembled).
  void AttachStream(SourcePtr stream, StreamIndex stream_index, LayerDigests digests);

  /// The index cache entry that describes this layer's content, where state computed later
  /// (per-file content hashes) is kept beside the index; empty dir if there is none.
  const CacheEntryName& cache_entry() const { return cache_entry_; }
  /// Sets cache_entry() (once, by the index cache, before the index is shared).
  void SetCacheEntry(CacheEntryName entry) { cache_entry_ = std::move(entry); }

 private:
  std::string name_;
  IndexTables tables_;
  std::shared_ptr<const void> owner_;
  SourcePtr stream_;
  StreamIndex stream_index_;
  LayerDigests digests_;
  CacheEntryName cache_entry_;
};

/// The owning form of a member, as the tar indexer reads it from a header.
struct NewMember {
  std::string path;
  MemberType type = MemberType::kRegular;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;
  uint64_t data_offset = 0;
  std::string link_target;
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
  /// Whether the file is sparse (then `sparse` holds its runs, possibly none).
  bool is_sparse = false;
  std::vector<SparseExtent> sparse;
};

/// The most members one layer, and entries all layers of an image together, may have before
/// indexing refuses the image (kBadImage): IMGMOUNT_MAX_ENTRIES when set to a number, else one per
/// 2 KiB of physical memory (at least 1 Mi). Indexing and the union need ~400 bytes per entry at
/// their peak, so a layer of empty files compressed a thousandfold cannot exhaust memory.
uint64_t MaxEntries();

/// Accumulates members into the compact tables of a LayerIndex.
class LayerIndexBuilder {
 public:
  /// Appends one member; throws kBadImage once the string table would pass 4 GiB.
  void Add(const NewMember& member);
  /// Number of members added so far.
  size_t size() const { return members_.size(); }
  /// The finished index named `name` (the builder is spent afterwards).
  std::shared_ptr<LayerIndex> Finish(std::string name);

 private:
  uint32_t AddString(std::string_view text);
  uint32_t InternAttr(const AttrRecord& attr);

  std::vector<MemberRecord> members_;
  std::vector<AttrRecord> attrs_;
  // Open-addressing hash table over attrs_ (entries are index + 1, 0 is empty; the size is a
  // power of two), hashed with a per-process random seed so that crafted ids cannot flood it.
  std::vector<uint32_t> attr_slots_;
  std::vector<ExtraRecord> extras_;
  std::vector<XattrRecord> xattrs_;
  std::vector<SparseExtent> sparse_;
  std::string strings_;
};

}  // namespace imgmount
