// The persisted index of one layer, as the index cache keeps it: the LayerIndex tables exactly as
// they are in memory (so loading is a mapping plus checks, no parsing), how to reopen the
// layer's decoded stream, and what was verified about the layer.
//
// The file is a section file (layers/base/section_file.h: 32-byte header with magic, version,
// byte-order mark, file size, section count and a CRC-32 of everything after the header; a table
// of {id, offset, size}; 8-aligned sections). Kind "IMGMLAYR", version 3. A reader refuses any
// other version, so an older entry is rebuilt: version 1 had 80-byte member records holding every
// field; version 2 was written from libarchive's reading of tar (an empty PAX xattr kept, every
// xattr record kept, no sparse flag, so an all-hole sparse file read the next header's bytes).
// Integers are in the writer's byte order (little-endian on every supported machine).
//
//   section  record size  content
//   IDNT     fields       five strings (u32 length + bytes each): the key (the layer digest it is
//                         filed under), the origin (identity of the blob's bytes for an entry
//                         whose key could not be verified, else ""), the blob digest and the
//                         stream digest (diff_id) computed while indexing ("" if not computed),
//                         the file name of the persisted local copy ("" if none)
//   LAYR     16           u32 flags (1: the key was verified against the content), u32 zero,
//                         i64 creation time (Unix seconds)
//   MEMB     40 each      MemberRecord, one per tar member in tar order:
//                           0 u64 data offset in the stream   8 u64 size (logical)
//                          16 i64 mtime seconds              24 u32 path offset, 28 u32 length
//                          32 u32 attribute index (into ATTR)
//                          36 u32 extra index (into EXTR; 0xffffffff: none, every rare field 0)
//   ATTR     20 each      AttrRecord, the distinct combinations of the members' attributes (each
//                         combination once in a well-formed file, but nothing relies on it):
//                           0 u16 mode (07777)   2 u8 type (0 file, 1 dir, 2 symlink, 3 hardlink,
//                                                4 chr, 5 blk, 6 fifo)   3 u8 zero
//                           4 u32 uid   8 u32 gid   12 u32 dev major, 16 u32 minor
//   EXTR     32 each      ExtraRecord, one per member that has a link target, mtime nanoseconds,
//                         xattrs or is sparse, in the order of those members (the k-th such
//                         member has extra index k):
//                           0 u32 link offset, 4 u32 length   8 u32 mtime nanoseconds
//                          12 u32 first xattr, 16 u32 count   20 u32 first sparse extent,
//                                                            24 u32 count
//                          28 u32 flags (1: a sparse file, whose runs may be none: all hole;
//                                        sparse runs only with it, and only on a regular file)
//                         The records use XATR and SPRS in order, each entry once: a record's
//                         first xattr (sparse extent) is the sum of the counts before it.
//   XATR     16 each      XattrRecord: u32 name offset, u32 name length, u32 value offset,
//                         u32 value length (into STRS)
//   SPRS     16 each      SparseExtent: u64 logical offset, u64 length of a stored run
//   STRS     bytes        the string table: paths, link targets, xattr names and values
//   STRM, PNTS, WNDS, SPNS   the layer stream's access points and spans
//   (layers/stream/stream_index_io.h)
//
// Reading trusts nothing: besides the header and the CRC, every string range must lie in STRS,
// every attribute index in ATTR, every extra index must follow the order above, every xattr and
// sparse range must lie in its table and be used once, every path and hardlink target must be
// normalised, types, modes, device numbers and nanoseconds must be in range, a regular file's
// sparse runs inside its size and its stored data inside the stream; the stream index must fit
// the blob (its size and codec) and cover the stream with spans. Any failure means: rebuild
// (index/layer/index_checks.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "index/layer/layer_index.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/stream_index_io.h"

namespace imgmount {

/// What a layer index file records besides the tables and the stream index.
struct LayerFileInfo {
  /// The layer digest the entry is filed under ("sha256:...").
  std::string key;
  /// Identity of the blob's bytes when the key could not be verified; "" for a verified entry.
  std::string origin;
  /// Whether the key was checked against the content while indexing.
  bool verified = false;
  /// The digests computed while indexing.
  LayerDigests digests;
  /// File name (in the same directory) of the persisted local copy, "" if none.
  std::string local_copy_name;
  /// When the index was written (Unix seconds).
  int64_t created = 0;
};

/// A layer index file, mapped and checked.
struct LayerIndexFile {
  /// The tables, pointing into the mapping.
  IndexTables tables;
  /// Keeps the mapping alive.
  std::shared_ptr<const void> owner;
  /// The identity fields.
  LayerFileInfo info;
  /// The stream index and the size of its local copy.
  StoredStream stream;
};

/// Writes the tables, stream index and digests of `index` with `info` to `path` atomically (the
/// local copy, if any, has `local_copy_size` bytes). False and `why` on failure.
bool WriteLayerIndexFile(const std::string& path, const LayerIndex& index,
                         const LayerFileInfo& info, uint64_t local_copy_size, std::string* why);

/// Maps and checks the file at `path` for a blob of `blob_size` bytes whose magic bytes say
/// `codec` (nullopt for either: as the file records, e.g. for listing the cache). Returns nullopt
/// and sets `why` ("" when there is no file) on any doubt.
std::optional<LayerIndexFile> ReadLayerIndexFile(const std::string& path,
                                                 std::optional<uint64_t> blob_size,
                                                 std::optional<Codec> codec, std::string* why);

}  // namespace imgmount
