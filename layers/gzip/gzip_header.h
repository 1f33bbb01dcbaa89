// The framing of a gzip member (RFC 1952): its header before the deflate data and its trailer.
#pragma once

#include <cstdint>
#include <string>

namespace imgmount {

class BlobInput;

/// Parses the gzip member header at `offset` and returns the offset of its deflate data. Throws
/// kBadImage (naming `name` and the offset) on a bad magic, method, flag, header CRC or truncation.
uint64_t ParseGzipHeader(BlobInput& input, uint64_t offset, const std::string& name);

/// The fields of a gzip member trailer.
struct GzipTrailer {
  /// CRC-32 of the member's uncompressed data.
  uint32_t crc32 = 0;
  /// Size of the member's uncompressed data modulo 2^32.
  uint32_t isize = 0;
};

/// Reads the 8-byte trailer at `offset`; throws kBadImage if the blob ends first.
GzipTrailer ReadGzipTrailer(BlobInput& input, uint64_t offset, const std::string& name);

/// Whether the bytes at `offset` start with the gzip magic 1f 8b.
bool HasGzipMagic(BlobInput& input, uint64_t offset);

}  // namespace imgmount
