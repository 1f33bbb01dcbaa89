// Finding and reading the table of contents (TOC) of a zstd:chunked layer blob, with a few reads
// at the blob's end, never the whole blob.
//
// A zstd:chunked blob (containers/storage) is a multi-frame zstd tar whose file contents start
// new frames, followed by the TOC: a zstd-compressed JSON document in a skippable frame, and a
// footer in a last skippable frame: u64 LE offset of the compressed TOC, its compressed length,
// its uncompressed length, then either the TOC type (40-byte footer, older writers) or the tar
// split's offset and lengths and then the type (64-byte footer), then the magic "GnUlInUx". The
// layer's descriptor may say the same in annotations: "<prefix>.manifest-position" =
// "offset:length:uncompressedLength:type" and "<prefix>.manifest-checksum" = the digest of the
// compressed TOC bytes, with the prefix "io.github.containers.zstd-chunked" (newer tools) or
// "io.containers.zstd-chunked" (skopeo 1.9). Only a TOC found through the annotation with a
// checksum is vouched for by the manifest; one found from the footer alone is unverified (each
// chunk's digest still comes from it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers/source/byte_source.h"

namespace imgmount {

/// The largest compressed or uncompressed TOC accepted (so that a hostile length cannot make
/// indexing allocate unboundedly).
inline constexpr uint64_t kMaxTocBytes = 64u << 20;

/// Where a zstd:chunked layer keeps its TOC.
struct ZstdChunkedTocPlace {
  /// Offset of the compressed TOC in the blob (just after its skippable frame header).
  uint64_t offset = 0;
  /// Length of the compressed TOC.
  uint64_t length = 0;
  /// Length of the TOC's JSON once decompressed.
  uint64_t uncompressed = 0;
  /// The digest the manifest states for the compressed TOC ("" if none: the TOC is unverified).
  std::string digest;
  /// "annotation" or "footer": where the place came from, for messages.
  std::string found_in;
};

/// Annotations of a layer descriptor, (key, value) in document order.
using Annotations = std::vector<std::pair<std::string, std::string>>;

/// The place of the TOC of `blob`: from the position annotation if there is one (then checked
/// against the skippable frame header before it), else from the footer; nullopt if the blob has
/// neither (it is no zstd:chunked blob). Throws kBadImage naming the problem if an annotation or
/// footer is there but malformed or out of range.
std::optional<ZstdChunkedTocPlace> FindZstdChunkedToc(const ByteSource& blob,
                                                      const Annotations& annotations);

/// The TOC's JSON: reads its compressed bytes, checks them against place.digest when there is
/// one (kIntegrity on mismatch) and decompresses them to exactly place.uncompressed bytes
/// (kBadImage otherwise).
std::string ReadZstdChunkedToc(const ByteSource& blob, const ZstdChunkedTocPlace& place);

}  // namespace imgmount
