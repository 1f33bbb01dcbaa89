#include "layers/stream/decode_pass.h"

#include <algorithm>

#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/gzip/gzip_inflate.h"
#include "layers/gzip/gzip_pass.h"
#include "layers/gzip/gzip_source.h"
#include "layers/stream/span_cache.h"
#include "layers/zstd/zstd_pass.h"
#include "layers/zstd/zstd_source.h"

namespace imgmount {

namespace {

// The pass over an uncompressed blob: the blob is the stream, and skipping reads nothing.
class PlainPass final : public DecodePass {
 public:
  PlainPass(SourcePtr blob, const DecodeOptions& options) : blob_(std::move(blob)) {
    if (options.hash) {
      blob_hash_ = std::make_unique<Hasher>(options.blob_algorithm);
      if (options.stream_algorithm != options.blob_algorithm) {
        stream_hash_ = std::make_unique<Hasher>(options.stream_algorithm);
      }
    }
    index_.codec = Codec::kNone;
    index_.blob_size = index_.stream_size = blob_->Size();
    CheckEnd();
  }

  size_t Read(std::span<std::byte> dst) override {
    size_t n = blob_->ReadAt(position_, dst);
    if (blob_hash_ && !skipped_) {
      blob_hash_->Update(dst.first(n));
      if (stream_hash_) stream_hash_->Update(dst.first(n));
    }
    position_ += n;
    CheckEnd();
    return n;
  }

  void Skip(uint64_t n) override {
    uint64_t step = std::min(n, index_.stream_size - position_);
    if (step > 0) skipped_ = true;
    position_ += step;
    CheckEnd();
  }

  void Drain() override { Skip(UINT64_MAX); }
  uint64_t Position() const override { return position_; }

  SourcePtr Finish() override {
    Drain();
    return blob_;
  }

  std::string BlobDigest() const override { return blob_digest_; }
  std::string StreamDigest() const override { return stream_hash_ ? stream_digest_ : blob_digest_; }
  const StreamIndex& Index() const override { return index_; }

 private:
  // The blob is the stream: one hasher serves both digests unless they name other algorithms.
  void CheckEnd() {
    if (position_ < index_.stream_size || !blob_hash_ || finished_hash_) return;
    finished_hash_ = true;
    std::string blob_digest = blob_hash_->Finish();
    std::string stream_digest = stream_hash_ ? stream_hash_->Finish() : "";
    if (skipped_) return;
    blob_digest_ = std::move(blob_digest);
    stream_digest_ = std::move(stream_digest);
  }

  SourcePtr blob_;
  std::unique_ptr<Hasher> blob_hash_;
  std::unique_ptr<Hasher> stream_hash_;
  StreamIndex index_;
  uint64_t position_ = 0;
  bool skipped_ = false;
  bool finished_hash_ = false;
  std::string blob_digest_;
  std::string stream_digest_;
};

[[noreturn]] void BadIndex(const std::string& name, const std::string& what) {
  ThrowBadImage(name + ": stored index does not fit the blob: " + what);
}

}  // namespace

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

std::unique_ptr<DecodePass> DecodePass::Start(SourcePtr blob, Codec codec, std::string name,
                                              const DecodeOptions& options) {
  if (name.empty()) name = blob->Describe();
  switch (codec) {
    case Codec::kNone:
      return std::make_unique<PlainPass>(std::move(blob), options);
    case Codec::kGzip:
      return std::make_unique<GzipPass>(std::move(blob), std::move(name), options);
    case Codec::kZstd:
      return std::make_unique<ZstdPass>(std::move(blob), std::move(name), options);
  }
  throw Error(ErrorKind::kInternal, EINVAL, name + ": unknown codec");
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

SourcePtr OpenIndexed(SourcePtr blob, const StreamIndex& index, std::string name,
                      const DecodeOptions& options, SourcePtr local_copy) {
  if (name.empty()) name = blob->Describe();
  bool needs_copy = std::any_of(index.points.begin(), index.points.end(),
                                [](const AccessPoint& p) { return p.in_local_copy; });
  if (needs_copy && !local_copy) {
    throw Error(ErrorKind::kInternal, EIO,
                name + ": an index with a local copy cannot be reopened without the copy");
  }
  std::string problem =
      StreamIndexProblem(index, blob->Size(), local_copy ? local_copy->Size() : 0);
  if (!problem.empty()) BadIndex(name, problem);
  auto shared = std::make_shared<const StreamIndex>(index);
  std::shared_ptr<const SpanDecoder> decoder;
  switch (index.codec) {
    case Codec::kNone:
      return blob;
    case Codec::kGzip:
      decoder = std::make_shared<GzipSpanDecoder>(std::move(blob), std::move(shared), name);
      break;
    case Codec::kZstd:
      decoder = std::make_shared<ZstdSpanDecoder>(std::move(blob), std::move(local_copy),
                                                  std::move(shared), name);
      break;
  }
  return std::make_shared<CachedStream>(std::move(decoder), std::move(name), options);
}

}  // namespace imgmount
