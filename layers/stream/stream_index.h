// What random access to a compressed blob needs, as one pass records it and the index cache keeps
// it: the codec (decided by magic bytes), access points where decoding may start, spans of the
// uncompressed stream with their checksums, and the tunables of a pass. Both codecs build on
// these types; the choice between them lies above both (layers/codecs/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/base/digest.h"
#include "layers/source/byte_source.h"

namespace imgmount {

class SpanCache;

/// Size of the deflate history window (the most an access point's window holds).
inline constexpr size_t kDeflateWindow = 32 * 1024;

/// Size limits of spans: the smallest and largest span_bytes a pass accepts, and the largest span
/// an index may describe (so a corrupt persisted index cannot make a read allocate unboundedly).
inline constexpr uint64_t kMinSpanBytes = 1024;
/// See kMinSpanBytes.
inline constexpr uint64_t kMaxSpanBytes = 128u << 20;
/// See kMinSpanBytes.
inline constexpr uint64_t kMaxIndexedSpan = 2 * kMaxSpanBytes;

/// Compression of a blob, decided by its magic bytes only.
enum class Codec { kNone, kGzip, kZstd };

/// Detects the codec from the first bytes of `blob`: gzip 1f 8b; zstd 28 b5 2f fd, or a zstd
/// skippable frame header (50..5f 2a 4d 18 and a length); else none.
Codec SniffCodec(const ByteSource& blob);

/// Lower-case name of a codec: "none", "gzip", "zstd".
const char* CodecName(Codec codec);

/// Tunables of a decoding pass.
struct DecodeOptions {
  /// Distance in uncompressed bytes between access points (gzip) or cache spans.
  uint64_t span_bytes = 2u << 20;
  /// Also compute the digests of the compressed blob and of the uncompressed stream.
  bool hash = true;
  /// The hash function of the blob's digest (the manifest's layer digest names it).
  DigestAlgorithm blob_algorithm = DigestAlgorithm::kSha256;
  /// The hash function of the stream's digest (the config's diff_id names it).
  DigestAlgorithm stream_algorithm = DigestAlgorithm::kSha256;
  /// Capacity of the decoded-span cache a source creates for itself when `cache` is null.
  uint64_t cache_bytes = 64u << 20;
  /// A cache shared by several sources (e.g. every layer of a mount); null means one per source.
  std::shared_ptr<SpanCache> cache;
  /// Directory for local copies (the zstd single-frame fallback); empty means $TMPDIR or /tmp.
  std::string scratch_dir;
  /// Decode the next span in the background while reads are sequential.
  bool prefetch = true;
};

/// Where decoding may start: a compressed bit offset, the uncompressed offset there, and the
/// deflate history (window) a decoder needs; no window at a gzip member or zstd frame start.
struct AccessPoint {
  /// Offset in bits in the blob, or in the local copy when `in_local_copy` (zstd: byte * 8).
  uint64_t compressed_bit = 0;
  /// Offset in the uncompressed stream.
  uint64_t uncompressed = 0;
  /// Bytes of history the window holds once expanded (at most 32 KiB; 0 for none).
  uint32_t window_size = 0;
  /// Whether `window` is raw-deflated (else it is stored as is).
  bool window_deflated = false;
  /// zstd: the point lies in the pass's local recompressed copy, not in the blob.
  bool in_local_copy = false;
  /// The stored window bytes.
  std::string window;
};

/// A piece of the uncompressed stream that is decoded, cached and checked as one unit.
struct SpanInfo {
  /// Offset of the span in the uncompressed stream.
  uint64_t start = 0;
  /// Length of the span in bytes (never 0).
  uint64_t size = 0;
  /// Index of the access point decoding starts from (at or before `start`).
  uint32_t point = 0;
  /// CRC-32 of the span's bytes, recorded while indexing and checked on every decode.
  uint32_t crc32 = 0;
};

/// Everything random access to a compressed blob needs; recorded by a pass, persistable.
struct StreamIndex {
  /// Codec of the blob.
  Codec codec = Codec::kNone;
  /// Size of the blob the index was made from.
  uint64_t blob_size = 0;
  /// Size of the uncompressed stream.
  uint64_t stream_size = 0;
  /// Access points in stream order.
  std::vector<AccessPoint> points;
  /// Spans covering [0, stream_size) back to back.
  std::vector<SpanInfo> spans;
};

/// What is wrong with `index` as the index of a blob of `blob_size` bytes whose local copy (if
/// its points use one) has `local_copy_size` bytes: "" if nothing. Checks sizes, point order and
/// placement, windows, and that the spans cover the stream back to back.
std::string StreamIndexProblem(const StreamIndex& index, uint64_t blob_size,
                               uint64_t local_copy_size);

}  // namespace imgmount
