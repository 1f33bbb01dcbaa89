// The random-access source over a compressed stream: reads go span by span through the span
// cache, and every decoded span is checked against the CRC-32 its index recorded.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/span_cache.h"
#include "layers/stream/stream_index.h"

namespace imgmount {

/// Decodes single spans of one compressed stream; thread-safe, with decoder state per call.
class SpanDecoder {
 public:
  virtual ~SpanDecoder() = default;

  /// The index the spans come from.
  virtual const StreamIndex& index() const = 0;

  /// Decodes span `i` exactly into dst (dst.size() == that span's size). Throws Error.
  virtual void DecodeSpan(size_t i, std::span<std::byte> dst) const = 0;

  /// Span `i` failed its check: tells the blob to drop any copy it keeps of the span's input.
  virtual void ForgetSpanInput(size_t i) const { static_cast<void>(i); }

  /// Whether DecodeSpan checks each span itself (against a digest known in advance, as a table
  /// of contents gives), so that the recorded CRC-32, which is then unknown, is not checked.
  virtual bool ChecksSpans() const { return false; }

  /// Span `i` will be decoded soon: asks the blob to start fetching its input (a hint only).
  virtual void AdviseSpanInput(size_t i) const { static_cast<void>(i); }
};

/// Random-access source over a compressed stream: each read goes span by span through a
/// SpanCache; every decoded span is checked against the CRC-32 recorded while indexing. A
/// sequential reader has the spans ahead decoded in the background and the spans it left behind
/// dropped, so that streaming a large file holds a few spans, not the whole cache; the input of a
/// few spans past those is requested from the blob early, so that their disk reads overlap.
class CachedStream final : public ByteSource {
 public:
  /// A source over `decoder`'s spans named `name`, using options.cache or a cache of its own.
  CachedStream(std::shared_ptr<const SpanDecoder> decoder, std::string name,
               const DecodeOptions& options);
  ~CachedStream() override;
  CachedStream(const CachedStream&) = delete;
  CachedStream& operator=(const CachedStream&) = delete;

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override { return name_; }
  /// Lends the bytes from their decoded spans, one piece per span, when they lie in at most
  /// kMaxLentPieces spans.
  std::optional<LentBytes> Lend(uint64_t offset, size_t length) const override;

  /// The cache this source reads through.
  const std::shared_ptr<SpanCache>& cache() const { return cache_; }

 private:
  static SpanPtr Load(const SpanDecoder& decoder, size_t i, const std::string& name);
  // Index of the span holding `offset` (which must be below size_).
  size_t SpanAt(uint64_t offset) const;
  void NoteAccess(size_t span) const;
  // Calls use(span data, offset in it, length) for each span piece of [offset, offset + length),
  // which must lie inside the stream, in order.
  void ForEachPiece(uint64_t offset, size_t length,
                    const std::function<void(const SpanPtr&, uint64_t, size_t)>& use) const;

  std::shared_ptr<const SpanDecoder> decoder_;
  std::string name_;
  uint64_t size_;
  std::shared_ptr<SpanCache> cache_;
  uint64_t owner_;
  bool prefetch_;
  mutable std::atomic<uint64_t> last_span_{UINT64_MAX - 1};  // no span follows it
};

}  // namespace imgmount
