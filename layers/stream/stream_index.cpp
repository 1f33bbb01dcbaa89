#include "layers/stream/stream_index.h"

namespace imgmount {

Codec SniffCodec(const ByteSource& blob) {
  std::byte magic[8] = {};
  size_t n = blob.ReadAt(0, magic);
  auto at = [&](size_t i) { return std::to_integer<uint8_t>(magic[i]); };
  if (n >= 2 && at(0) == 0x1f && at(1) == 0x8b) return Codec::kGzip;
  if (n >= 4 && at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd) {
    return Codec::kZstd;
  }
  // A skippable frame (magic 0x184D2A50..5F, then its 4-byte length) is zstd too: pzstd writes
  // one before every frame. Like containerd and moby, the whole 8-byte header must be there.
  if (n >= 8 && (at(0) & 0xf0) == 0x50 && at(1) == 0x2a && at(2) == 0x4d && at(3) == 0x18) {
    return Codec::kZstd;
  }
  return Codec::kNone;
}

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kNone:
      return "none";
    case Codec::kGzip:
      return "gzip";
    case Codec::kZstd:
      return "zstd";
  }
  return "none";
}

std::string StreamIndexProblem(const StreamIndex& index, uint64_t blob_size,
                               uint64_t local_copy_size) {
  if (index.blob_size != blob_size) return "blob size differs";
  if (index.codec == Codec::kNone) {
    bool plain = index.points.empty() && index.spans.empty() && index.stream_size == blob_size;
    return plain ? "" : "an uncompressed blob with access points or another size";
  }
  uint64_t previous = 0;
  for (const AccessPoint& point : index.points) {
    if (point.in_local_copy && index.codec != Codec::kZstd) return "a local copy of a gzip blob";
    uint64_t limit = point.in_local_copy ? local_copy_size : blob_size;
    if (point.compressed_bit / 8 > limit) return "access point past the end";
    if (index.codec != Codec::kGzip && point.compressed_bit % 8 != 0) {
      return "access point inside a byte";
    }
    if (point.uncompressed < previous || point.uncompressed > index.stream_size) {
      return "access points out of order";
    }
    previous = point.uncompressed;
    bool window_ok = point.window_size <= kDeflateWindow &&
                     (point.window_deflated ? point.window.size() <= 2 * kDeflateWindow
                                            : point.window.size() == point.window_size);
    if (!window_ok || (index.codec != Codec::kGzip && point.window_size != 0)) {
      return "bad access point window";
    }
  }
  uint64_t position = 0;
  for (const SpanInfo& span : index.spans) {
    if (span.start != position || span.size == 0 || span.size > kMaxIndexedSpan ||
        span.point >= index.points.size() || index.points[span.point].uncompressed > span.start) {
      return "bad span at " + std::to_string(span.start);
    }
    position += span.size;
  }
  if (position != index.stream_size) return "spans do not cover the stream";
  return "";
}

}  // namespace imgmount
