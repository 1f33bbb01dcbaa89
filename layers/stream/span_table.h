// How a pass cuts the uncompressed stream into spans (SpanTableBuilder) and checksums each, and
// what decoding one span of a recorded index reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "layers/stream/stream_index.h"

namespace imgmount {

/// The CRC-32 (gzip's) of `bytes` continued from `crc`: the checksum of a span.
uint32_t SpanCrc32(uint32_t crc, std::span<const std::byte> bytes);

/// Cuts the uncompressed stream into spans while a pass emits it, recording each span's CRC-32.
/// A span starts at every access point, and is cut after 2 * span_bytes without one.
class SpanTableBuilder {
 public:
  /// Builds into `index` with points wanted every `span_bytes` of output.
  SpanTableBuilder(StreamIndex* index, uint64_t span_bytes);

  /// Whether an access point is wanted now: span_bytes of output and span_bytes / 64 of input
  /// (so that bombs do not get an index of the blob's size) since the last one.
  bool WantPoint(uint64_t compressed_byte) const;

  /// Records an access point at the current output position; it starts a new span. A point at
  /// the same output offset as the previous one is ignored.
  void AddPoint(AccessPoint point);

  /// Bytes that may be added before the current span is cut.
  uint64_t Room() const { return 2 * span_bytes_ - current_.size; }

  /// Output that may be emitted before WantPoint can next become true (all of Room() if a point
  /// is already due), so that a pass asks for points close to every span_bytes.
  uint64_t UntilPointDue() const;

  /// Appends emitted bytes (at most Room()).
  void Add(std::span<const std::byte> bytes);

  /// Output position so far.
  uint64_t position() const { return position_; }

  /// Closes the last span and sets the stream size.
  void Finish();

 private:
  void CloseSpan();

  StreamIndex* index_;
  uint64_t span_bytes_;
  uint64_t position_ = 0;
  SpanInfo current_;
  bool have_point_ = false;
};

/// options.span_bytes clamped to [kMinSpanBytes, kMaxSpanBytes].
uint64_t ClampedSpanBytes(const DecodeOptions& options);

/// Where the compressed bytes of span `i` of `index` lie, as far as the index tells.
struct SpanInputRange {
  /// First byte: the one holding the span's access point.
  uint64_t begin = 0;
  /// Just past the last byte: a little past the first point after the span, or the blob's end.
  uint64_t end = 0;
};

/// The compressed bytes that decoding span `i` of `index` reads.
SpanInputRange InputRangeOfSpan(const StreamIndex& index, size_t i);

/// A good input buffer size for decoding span `i` of `index` from its point: about the compressed
/// distance to the first point after the span, within [4 KiB, `limit`].
size_t SpanInputBytes(const StreamIndex& index, size_t i, size_t limit);

}  // namespace imgmount
