#include "layers/gzip/gzip_source.h"

#include <algorithm>

#include "layers/base/error.h"
#include "layers/gzip/gzip_stream.h"
#include "layers/gzip/gzip_window.h"
#include "layers/stream/blob_input.h"
#include "layers/stream/span_table.h"

namespace imgmount {

namespace {

constexpr size_t kInputBytes = 256 * 1024;
constexpr size_t kSkipBytes = 128 * 1024;

}  // namespace

GzipSpanDecoder::GzipSpanDecoder(SourcePtr blob, std::shared_ptr<const StreamIndex> index,
                                 std::string name)
    : blob_(std::move(blob)), index_(std::move(index)), name_(std::move(name)) {}

void GzipSpanDecoder::DecodeSpan(size_t i, std::span<std::byte> dst) const {
  const SpanInfo& span = index_->spans.at(i);
  const AccessPoint& point = index_->points.at(span.point);
  auto window_buffer = std::make_unique_for_overwrite<std::byte[]>(kDeflateWindow);
  auto window = UnpackWindow(point, std::span(window_buffer.get(), kDeflateWindow), name_);

  SpanInputRange range = InputRangeOfSpan(*index_, i);
  if (range.end > range.begin) blob_->WillNeed(range.begin, range.end - range.begin);
  BlobInput input(*blob_, SpanInputBytes(*index_, i, kInputBytes));
  GzipStream stream(input, name_, false, false);
  stream.StartAtPoint(point.compressed_bit, window);

  auto read = [&](std::span<std::byte> out) {
    size_t n = stream.Read(out);
    if (n < out.size() && stream.stop() == GzipStream::Stop::kEnd) {
      ThrowBadImage(name_ + ": gzip stream ended before the end of the span at " +
                    std::to_string(span.start));
    }
    return n;
  };
  uint64_t skip = span.start - point.uncompressed;
  if (skip > 0) {
    size_t scratch_bytes = static_cast<size_t>(std::min<uint64_t>(skip, kSkipBytes));
    auto scratch = std::make_unique_for_overwrite<std::byte[]>(scratch_bytes);
    while (skip > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip, scratch_bytes));
      skip -= read(std::span(scratch.get(), n));
    }
  }
  size_t filled = 0;
  while (filled < dst.size()) filled += read(dst.subspan(filled));
}

void GzipSpanDecoder::ForgetSpanInput(size_t i) const {
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  // The decoder reads a buffer's worth past the range's end at most.
  blob_->Forget(range.begin, range.end - range.begin + kInputBytes);
}

void GzipSpanDecoder::AdviseSpanInput(size_t i) const {
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  if (range.end > range.begin) blob_->WillNeed(range.begin, range.end - range.begin);
}

}  // namespace imgmount
