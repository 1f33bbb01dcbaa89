// Codecs of layer blobs: sniffing by magic bytes, the one sequential decoding pass that indexing
// makes over a blob, and the random-access source over the uncompressed stream it leaves behind.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "layers/base/digest.h"
#include "layers/source/byte_source.h"

namespace imgmount {

class ScratchFile;
class SpanCache;

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

/// One sequential pass over a blob's uncompressed stream, made once while indexing. It records
/// access points and hashes as it goes; Finish() then yields a random-access source.
class DecodePass {
 public:
  /// Starts a pass over `blob` decoded with `codec`; `name` names the blob in errors.
  static std::unique_ptr<DecodePass> Start(SourcePtr blob, Codec codec, std::string name,
                                           const DecodeOptions& options = {});
  virtual ~DecodePass() = default;

  /// Copies the next uncompressed bytes into dst; returns 0 only at the end. Throws Error on a
  /// corrupt or truncated stream.
  virtual size_t Read(std::span<std::byte> dst) = 0;

  /// Advances n bytes (or to the end). For an uncompressed blob this reads nothing, and then the
  /// hashes are not computed.
  virtual void Skip(uint64_t n) = 0;

  /// Consumes the rest of the stream (see Skip).
  virtual void Drain() = 0;

  /// Uncompressed bytes consumed so far.
  virtual uint64_t Position() const = 0;

  /// A thread-safe random-access source over the uncompressed stream; drains the rest first.
  virtual SourcePtr Finish() = 0;

  /// "sha256:<hex>" of the compressed blob, or empty if not computed (valid after the end).
  virtual std::string BlobDigest() const = 0;

  /// "sha256:<hex>" of the uncompressed stream (the diff_id), or empty if not computed.
  virtual std::string StreamDigest() const = 0;

  /// The access points and span checksums recorded so far (complete after the end).
  virtual const StreamIndex& Index() const = 0;

  /// The local copy that points with in_local_copy refer to (zstd single-frame fallback), or
  /// null when the index has none; complete after Finish().
  virtual std::shared_ptr<const ScratchFile> LocalCopy() const { return nullptr; }
};

/// What is wrong with `index` as the index of a blob of `blob_size` bytes whose local copy (if
/// its points use one) has `local_copy_size` bytes: "" if nothing. Checks sizes, point order and
/// placement, windows, and that the spans cover the stream back to back.
std::string StreamIndexProblem(const StreamIndex& index, uint64_t blob_size,
                               uint64_t local_copy_size);

/// Reopens the random-access source of a blob from an index a pass recorded earlier (e.g. one
/// read back from the index cache); `local_copy` holds the frames of points with in_local_copy
/// (the pass's local copy, or a persisted copy of it). Throws kBadImage if the index is
/// inconsistent or does not fit the blob, and kInternal if it needs a local copy and none is given.
SourcePtr OpenIndexed(SourcePtr blob, const StreamIndex& index, std::string name,
                      const DecodeOptions& options = {}, SourcePtr local_copy = nullptr);

}  // namespace imgmount
