// Random access into the uncompressed stream of a zstd blob: one span decoded from the frame
// start it belongs to, in the blob or in the pass's local copy. A span made of whole frames (every
// span of the local copy, most of a multi-frame blob) is read with one read and decoded frame by
// frame in one call each, straight into the span's buffer.
#pragma once

#include <memory>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/span_cache.h"

namespace imgmount {

/// Decodes spans of a zstd blob from the frame starts of its index (state per call).
class ZstdSpanDecoder final : public SpanDecoder {
 public:
  /// A decoder of `blob` (named `name` in errors) through `index`; `local_copy` holds the frames
  /// of points with in_local_copy set and may be null when there are none.
  ZstdSpanDecoder(SourcePtr blob, SourcePtr local_copy, std::shared_ptr<const StreamIndex> index,
                  std::string name);

  const StreamIndex& index() const override { return *index_; }
  void DecodeSpan(size_t i, std::span<std::byte> dst) const override;
  void ForgetSpanInput(size_t i) const override;
  void AdviseSpanInput(size_t i) const override;

 private:
  // The bytes span `i` is decoded from: the local copy or the blob (null if the copy is gone).
  const ByteSource* SourceOf(size_t i) const;
  // Decodes span `i` when it is made of whole frames (a frame of the local copy, or frames of
  // the blob from a point on) with one read and one call per frame; false (nothing trusted) when
  // it is not, so that the streaming decode runs and reports what is wrong.
  bool DecodeWholeFrames(size_t i, const ByteSource& source, std::span<std::byte> dst) const;

  SourcePtr blob_;
  SourcePtr local_copy_;
  std::shared_ptr<const StreamIndex> index_;
  std::string name_;
};

}  // namespace imgmount
