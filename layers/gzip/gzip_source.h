// Random access into the uncompressed stream of a gzip blob: one span decoded from its access
// point, for the span cache.
#pragma once

#include <memory>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/span_cache.h"

namespace imgmount {

/// Decodes spans of a gzip blob from the access points of its index (ISA-L, state per call).
class GzipSpanDecoder final : public SpanDecoder {
 public:
  /// A decoder of `blob` (named `name` in errors) through `index`.
  GzipSpanDecoder(SourcePtr blob, std::shared_ptr<const StreamIndex> index, std::string name);

  const StreamIndex& index() const override { return *index_; }
  void DecodeSpan(size_t i, std::span<std::byte> dst) const override;
  void ForgetSpanInput(size_t i) const override;
  void AdviseSpanInput(size_t i) const override;

 private:
  SourcePtr blob_;
  std::shared_ptr<const StreamIndex> index_;
  std::string name_;
};

}  // namespace imgmount
