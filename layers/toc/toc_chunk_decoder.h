// Decoding the chunks of a layer indexed from its table of contents: each span of the index is
// one chunk, whose compressed bytes start a zstd frame (zstd:chunked: whole frames up to the
// chunk's end) or a gzip member (eStargz: members from there, of which the chunk is the first
// bytes, after `skip` bytes of tar header for the TOC's own entry) at the span's access point;
// the decoded bytes are checked against the chunk's digest from the TOC on every decode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/stream/cached_stream.h"

namespace imgmount {

/// One chunk's check: the end of its compressed bytes and the digest of its decoded bytes.
struct TocChunkCheck {
  /// Just past the chunk's last compressed byte in the blob (gzip: a bound: the next chunk's
  /// start or the TOC's).
  uint64_t compressed_end = 0;
  /// Decoded bytes before the chunk's own (gzip only).
  uint64_t skip = 0;
  /// "sha256:..." of the chunk's bytes.
  std::string digest;
};

/// Decodes span i of `index` (codec kZstd or kGzip) from blob bytes [point offset,
/// checks[i].compressed_end) and checks it against checks[i].digest: a mismatch or bytes that do
/// not decode to the span throw kIntegrity / kBadImage (CachedStream turns both into EIO).
class TocChunkDecoder final : public SpanDecoder {
 public:
  /// A decoder of the spans of `index` (one per chunk, checks[i] for span i) over `blob`.
  TocChunkDecoder(SourcePtr blob, std::shared_ptr<const StreamIndex> index,
                  std::vector<TocChunkCheck> checks, std::string name);

  const StreamIndex& index() const override { return *index_; }
  void DecodeSpan(size_t i, std::span<std::byte> dst) const override;
  void ForgetSpanInput(size_t i) const override;
  bool ChecksSpans() const override { return true; }

 private:
  void DecodeZstd(uint64_t begin, const TocChunkCheck& check, std::span<std::byte> dst,
                  const std::string& where) const;
  void DecodeGzip(uint64_t begin, const TocChunkCheck& check, std::span<std::byte> dst,
                  const std::string& where) const;

  SourcePtr blob_;
  std::shared_ptr<const StreamIndex> index_;
  std::vector<TocChunkCheck> checks_;
  std::string name_;
};

}  // namespace imgmount
