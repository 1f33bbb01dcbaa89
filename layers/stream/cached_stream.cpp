#include "layers/stream/cached_stream.h"

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"
#include "layers/source/decode_permit.h"
#include "layers/stream/span_table.h"

namespace imgmount {

namespace {

// How far ahead of a sequential reader spans are decoded: at least kPrefetchSpans spans and
// kPrefetchBytes bytes (small spans, such as a zstd local copy's, need more of them), at most
// kMaxPrefetchSpans spans.
constexpr size_t kPrefetchSpans = 2;
constexpr uint64_t kPrefetchBytes = 4u << 20;
constexpr size_t kMaxPrefetchSpans = 8;
// How many spans past those decoded ahead have their input requested from the blob, so that a
// cold blob's disk reads are done by the time a decoder gets to them.
constexpr size_t kAdviseSpans = 2;
// How many spans behind a sequential reader stay cached (for reads that arrive a little out of
// order from several FUSE threads); older ones are dropped, the page cache holds their data.
constexpr size_t kKeepBehind = 1;

}  // namespace

CachedStream::CachedStream(std::shared_ptr<const SpanDecoder> decoder, std::string name,
                           const DecodeOptions& options)
    : decoder_(std::move(decoder)),
      name_(std::move(name)),
      size_(decoder_->index().stream_size),
      cache_(options.cache
                 ? options.cache
                 : std::make_shared<SpanCache>(options.cache_bytes, ClampedSpanBytes(options))),
      owner_(cache_->NewOwner()),
      prefetch_(options.prefetch) {}

CachedStream::~CachedStream() {
  cache_->Forget(owner_);
}

SpanPtr CachedStream::Load(const SpanDecoder& decoder, size_t i, const std::string& name) {
  const SpanInfo& span = decoder.index().spans[i];
  auto out = std::make_shared<DecodedSpan>();
  out->data = PageBuffer(span.size);
  out->size = span.size;
  std::span<std::byte> bytes(out->data.get(), out->size);
  std::string where = name + ": span at " + std::to_string(span.start);
  try {
    decoder.DecodeSpan(i, bytes);
  } catch (const Error& e) {
    // Only bytes that decode wrongly are changed bytes; every failure to read them (I/O, a
    // registry refusing access or losing the blob) passes through unchanged.
    if (e.kind() != ErrorKind::kBadImage && e.kind() != ErrorKind::kIntegrity) throw;
    decoder.ForgetSpanInput(i);
    throw Error(ErrorKind::kIntegrity, EIO, where + " changed since indexing: " + e.what());
  }
  if (!decoder.ChecksSpans() && SpanCrc32(0, bytes) != span.crc32) {
    decoder.ForgetSpanInput(i);
    throw Error(ErrorKind::kIntegrity, EIO,
                where + " changed since indexing (CRC-32 of its " + std::to_string(span.size) +
                    " bytes differs)");
  }
  return out;
}

size_t CachedStream::SpanAt(uint64_t offset) const {
  const std::vector<SpanInfo>& spans = decoder_->index().spans;
  auto it = std::upper_bound(spans.begin(), spans.end(), offset,
                             [](uint64_t off, const SpanInfo& s) { return off < s.start; });
  return static_cast<size_t>(it - spans.begin()) - 1;
}

void CachedStream::ForEachPiece(
    uint64_t offset, size_t length,
    const std::function<void(const SpanPtr&, uint64_t, size_t)>& use) const {
  const std::vector<SpanInfo>& spans = decoder_->index().spans;
  size_t done = 0;
  for (size_t i = SpanAt(offset); done < length; ++i) {
    const SpanInfo& span = spans[i];
    if (span.size == 0) continue;
    SpanPtr data = cache_->Get(owner_, i, [&] { return Load(*decoder_, i, name_); });
    uint64_t in = offset + done - span.start;
    size_t n = static_cast<size_t>(std::min<uint64_t>(span.size - in, length - done));
    use(data, in, n);
    done += n;
    NoteAccess(i);
  }
}

size_t CachedStream::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_ || dst.empty()) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
  size_t done = 0;
  ForEachPiece(offset, want, [&](const SpanPtr& data, uint64_t in, size_t n) {
    std::memcpy(dst.data() + done, data->data.get() + in, n);
    done += n;
  });
  return done;
}

std::optional<LentBytes> CachedStream::Lend(uint64_t offset, size_t length) const {
  if (offset >= size_ || length == 0 || length > size_ - offset) return std::nullopt;
  if (SpanAt(offset + length - 1) - SpanAt(offset) >= kMaxLentPieces) return std::nullopt;
  LentBytes lent;
  ForEachPiece(offset, length, [&](const SpanPtr& data, uint64_t in, size_t n) {
    lent.pieces.push_back({data, std::span<const std::byte>(data->data.get() + in, n)});
  });
  return lent;
}

void CachedStream::NoteAccess(size_t span) const {
  uint64_t previous = last_span_.exchange(span, std::memory_order_relaxed);
  if (previous + 1 != span) return;
  // A sequential reader: drop what it left behind, and have the next spans decoded ahead, in
  // parallel with each other.
  if (span > kKeepBehind) cache_->Drop(owner_, span - kKeepBehind - 1);
  if (!prefetch_) return;
  const std::vector<SpanInfo>& spans = decoder_->index().spans;
  size_t next = span + 1;
  uint64_t ahead = 0;
  for (size_t n = 0; next < spans.size() && n < kMaxPrefetchSpans; ++n, ++next) {
    if (n >= kPrefetchSpans && ahead >= kPrefetchBytes) break;
    ahead += spans[next].size;
    std::weak_ptr<const SpanDecoder> weak = decoder_;
    cache_->Prefetch(owner_, next, [weak, next, name = name_] {
      auto decoder = weak.lock();
      if (!decoder) throw Error(ErrorKind::kInternal, EIO, name + ": source closed");
      return Load(*decoder, next, name);
    });
  }
  for (size_t n = 0; next < spans.size() && n < kAdviseSpans; ++n, ++next) {
    decoder_->AdviseSpanInput(next);
  }
}

}  // namespace imgmount
