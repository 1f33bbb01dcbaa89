#include "layers/stream/span_table.h"

#include <isa-l/crc.h>

#include <algorithm>

#include "layers/base/error.h"

namespace imgmount {

uint32_t SpanCrc32(uint32_t crc, std::span<const std::byte> bytes) {
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

SpanTableBuilder::SpanTableBuilder(StreamIndex* index, uint64_t span_bytes)
    : index_(index), span_bytes_(span_bytes) {}

bool SpanTableBuilder::WantPoint(uint64_t compressed_byte) const {
  if (!have_point_) return true;
  const AccessPoint& last = index_->points.back();
  if (position_ - last.uncompressed < span_bytes_) return false;
  return last.in_local_copy || compressed_byte >= last.compressed_bit / 8 + span_bytes_ / 64;
}

uint64_t SpanTableBuilder::UntilPointDue() const {
  if (!have_point_) return Room();
  uint64_t due = index_->points.back().uncompressed + span_bytes_;
  return due > position_ ? std::min(Room(), due - position_) : Room();
}

void SpanTableBuilder::AddPoint(AccessPoint point) {
  point.uncompressed = position_;
  if (have_point_ && point.uncompressed == index_->points.back().uncompressed) {
    index_->points.back() = std::move(point);
    return;
  }
  if (index_->points.size() >= UINT32_MAX) {
    throw Error(ErrorKind::kBadImage, EIO, "too many access points");
  }
  CloseSpan();
  index_->points.push_back(std::move(point));
  have_point_ = true;
  current_ = SpanInfo{position_, 0, static_cast<uint32_t>(index_->points.size() - 1), 0};
}

void SpanTableBuilder::Add(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (!have_point_) throw Error(ErrorKind::kInternal, EIO, "span bytes before the first point");
  while (!bytes.empty()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), Room()));
    current_.crc32 = SpanCrc32(current_.crc32, bytes.first(n));
    current_.size += n;
    position_ += n;
    bytes = bytes.subspan(n);
    if (Room() == 0) CloseSpan();
  }
}

void SpanTableBuilder::CloseSpan() {
  if (current_.size == 0) return;
  index_->spans.push_back(current_);
  current_ = SpanInfo{position_, 0, current_.point, 0};
}

void SpanTableBuilder::Finish() {
  CloseSpan();
  index_->stream_size = position_;
}

uint64_t ClampedSpanBytes(const DecodeOptions& options) {
  return std::clamp<uint64_t>(options.span_bytes, kMinSpanBytes, kMaxSpanBytes);
}

SpanInputRange InputRangeOfSpan(const StreamIndex& index, size_t i) {
  const SpanInfo& span = index.spans[i];
  const AccessPoint& point = index.points[span.point];
  uint64_t end = index.blob_size;
  auto next = std::lower_bound(
      index.points.begin() + span.point + 1, index.points.end(), span.start + span.size,
      [](const AccessPoint& p, uint64_t offset) { return p.uncompressed < offset; });
  if (next != index.points.end() && next->in_local_copy == point.in_local_copy) {
    end = next->compressed_bit / 8 + 1024;
  }
  return {point.compressed_bit / 8, end};
}

size_t SpanInputBytes(const StreamIndex& index, size_t i, size_t limit) {
  SpanInputRange range = InputRangeOfSpan(index, i);
  uint64_t want = range.end > range.begin ? range.end - range.begin : limit;
  return static_cast<size_t>(std::clamp<uint64_t>(want, 4096, limit));
}

}  // namespace imgmount
