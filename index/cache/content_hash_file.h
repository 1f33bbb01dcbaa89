// The persisted content hashes of one layer, kept in the index cache beside the layer's index
// (cache_dir.h: STEM.sums) and filed under the same stem, so that they are shared exactly as
// the index is: by verified digest, or bound to the image file the layer came from. A hash is
// the SHA-256 of a regular member's logical content (holes of a sparse file as zeros). Hashes
// are computed on demand (by `imgmount diff`), never while indexing.
//
// The file is a section file (layers/base/section_file.h). Kind "IMGMSUMS", version 1. Integers are
// in the writer's byte order (little-endian on every supported machine).
//
//   section  record size  content
//   IDNT     fields       one string (u32 length + bytes): the stem of the entry it belongs to
//   SUMH     16           u32 number of members of the layer index, u32 zero, i64 time written
//                         (Unix seconds)
//   SUMS     56 each      HashRecord, in strictly increasing member order:
//                           0 u64 data offset of the member   8 u64 size (logical)
//                          16 u32 member number (tar order)  20 u32 zero
//                          24 32 bytes SHA-256 of the content
//
// Reading trusts nothing: besides the header and the CRC, the stem must be the file's own, the
// member count that of the layer index, and every record must name a regular member of the index
// with the same data offset and size. Any failure means: ignore the file and hash again.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"

namespace imgmount {

/// A SHA-256 digest as raw bytes.
using ContentHash = std::array<uint8_t, 32>;

/// One member's hash as the file stores it (56 bytes).
struct HashRecord {
  uint64_t data_offset = 0;
  uint64_t size = 0;
  uint32_t member = 0;
  uint32_t zero = 0;
  ContentHash hash{};
};
static_assert(sizeof(HashRecord) == 56, "HashRecord is part of the content hash file format");

/// The record of member `member` of `layer` with `hash`.
HashRecord MakeHashRecord(const LayerIndex& layer, uint32_t member, const ContentHash& hash);

/// Writes `records` (sorted by member, distinct) for the entry `stem` of a layer index with
/// `member_count` members to `path` atomically. False and `why` on failure.
bool WriteContentHashFile(const std::string& path, const std::string& stem, uint32_t member_count,
                          const std::vector<HashRecord>& records, std::string* why);

/// Reads and checks the file at `path` against entry `stem` and `layer`. Returns nullopt and sets
/// `why` ("" when there is no file) on any doubt.
std::optional<std::vector<HashRecord>> ReadContentHashFile(const std::string& path,
                                                           const std::string& stem,
                                                           const LayerIndex& layer,
                                                           std::string* why);

}  // namespace imgmount
