#include "layers/zstd/zstd_source.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "layers/base/error.h"
#include "layers/stream/blob_input.h"
#include "layers/stream/span_table.h"

namespace imgmount {

namespace {

constexpr size_t kInputBytes = 256 * 1024;
constexpr size_t kSkipBytes = 128 * 1024;

struct FreeDctx {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

// A decoder context kept by the calling thread for one-call decodes, so that its tables are
// allocated once per thread, not once per span; null if it cannot be made.
ZSTD_DCtx* ThreadDecoder() {
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDctx> dctx(ZSTD_createDCtx());
  return dctx.get();
}

}  // namespace

ZstdSpanDecoder::ZstdSpanDecoder(SourcePtr blob, SourcePtr local_copy,
                                 std::shared_ptr<const StreamIndex> index, std::string name)
    : blob_(std::move(blob)),
      local_copy_(std::move(local_copy)),
      index_(std::move(index)),
      name_(std::move(name)) {}

const ByteSource* ZstdSpanDecoder::SourceOf(size_t i) const {
  const AccessPoint& point = index_->points.at(index_->spans.at(i).point);
  return point.in_local_copy ? local_copy_.get() : blob_.get();
}

bool ZstdSpanDecoder::DecodeWholeFrames(size_t i, const ByteSource& source,
                                        std::span<std::byte> dst) const {
  const SpanInfo& span = index_->spans[i];
  const AccessPoint& point = index_->points[span.point];
  uint64_t begin = point.compressed_bit / 8;
  uint64_t size = source.Size();
  if (span.start != point.uncompressed || begin >= size) return false;
  // The frames end before the next point in the same file (the range adds a little slack); the
  // last ones of a file end within the compression bound of their content.
  uint64_t want = ZSTD_compressBound(dst.size());
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  size_t next = static_cast<size_t>(span.point) + 1;
  bool next_in_same_file =
      next < index_->points.size() && index_->points[next].in_local_copy == point.in_local_copy;
  if (next_in_same_file && range.end > begin) want = std::min(want, range.end - begin);
  want = std::min(want, size - begin);
  auto input = std::make_unique_for_overwrite<std::byte[]>(static_cast<size_t>(want));
  size_t got = source.ReadAt(begin, std::span(input.get(), static_cast<size_t>(want)));
  ZSTD_DCtx* dctx = ThreadDecoder();
  if (dctx == nullptr) return false;
  size_t at = 0;
  size_t filled = 0;
  while (filled < dst.size()) {
    // A frame cut by the read, or decoding past the span (a span cut inside a frame), is left
    // to the streaming decode; skippable frames decode to nothing.
    size_t frame = ZSTD_findFrameCompressedSize(input.get() + at, got - at);
    if (ZSTD_isError(frame)) return false;
    size_t n = ZSTD_decompressDCtx(dctx, dst.data() + filled, dst.size() - filled, input.get() + at,
                                   frame);
    if (ZSTD_isError(n)) return false;
    at += frame;
    filled += n;
  }
  return true;
}

void ZstdSpanDecoder::DecodeSpan(size_t i, std::span<std::byte> dst) const {
  const SpanInfo& span = index_->spans.at(i);
  const AccessPoint& point = index_->points.at(span.point);
  const ByteSource* source = SourceOf(i);
  if (source == nullptr) {
    throw Error(ErrorKind::kInternal, EIO, name_ + ": the local copy of this layer is gone");
  }
  if (DecodeWholeFrames(i, *source, dst)) return;
  std::unique_ptr<ZSTD_DCtx, FreeDctx> dctx(ZSTD_createDCtx());
  if (!dctx) throw Error(ErrorKind::kInternal, ENOMEM, "zstd: cannot create a decoder");
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  if (range.end > range.begin) source->WillNeed(range.begin, range.end - range.begin);
  BlobInput input(*source, SpanInputBytes(*index_, i, kInputBytes));
  uint64_t position = point.compressed_bit / 8;
  uint64_t skip = span.start - point.uncompressed;
  size_t scratch_bytes = static_cast<size_t>(std::min<uint64_t>(skip, kSkipBytes));
  std::unique_ptr<std::byte[]> scratch;
  if (skip > 0) scratch = std::make_unique_for_overwrite<std::byte[]>(scratch_bytes);
  size_t filled = 0;
  while (filled < dst.size()) {
    std::span<std::byte> target =
        skip > 0
            ? std::span(scratch.get(), static_cast<size_t>(std::min<uint64_t>(skip, scratch_bytes)))
            : dst.subspan(filled);
    auto avail = input.At(position);
    ZSTD_inBuffer in{avail.data(), avail.size(), 0};
    ZSTD_outBuffer out{target.data(), target.size(), 0};
    size_t ret = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(ret)) {
      ThrowBadImage(source->Describe() + ": zstd: " + ZSTD_getErrorName(ret) + " near offset " +
                    std::to_string(position));
    }
    position += in.pos;
    if (in.pos == 0 && out.pos == 0 && (avail.empty() || ret == 0)) {
      ThrowBadImage(name_ + ": zstd stream ended before the end of the span at " +
                    std::to_string(span.start));
    }
    if (skip > 0) {
      skip -= out.pos;
    } else {
      filled += out.pos;
    }
  }
}

void ZstdSpanDecoder::ForgetSpanInput(size_t i) const {
  const ByteSource* source = SourceOf(i);
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  // The decoder reads a buffer's worth past the range's end at most.
  if (source != nullptr) source->Forget(range.begin, range.end - range.begin + kInputBytes);
}

void ZstdSpanDecoder::AdviseSpanInput(size_t i) const {
  const ByteSource* source = SourceOf(i);
  SpanInputRange range = InputRangeOfSpan(*index_, i);
  if (source != nullptr && range.end > range.begin) {
    source->WillNeed(range.begin, range.end - range.begin);
  }
}

}  // namespace imgmount
