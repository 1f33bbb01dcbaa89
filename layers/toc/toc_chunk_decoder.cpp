#include "layers/toc/toc_chunk_decoder.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"

namespace imgmount {

TocChunkDecoder::TocChunkDecoder(SourcePtr blob, std::shared_ptr<const StreamIndex> index,
                                 std::vector<TocChunkCheck> checks, std::string name)
    : blob_(std::move(blob)),
      index_(std::move(index)),
      checks_(std::move(checks)),
      name_(std::move(name)) {}

void TocChunkDecoder::DecodeSpan(size_t i, std::span<std::byte> dst) const {
  const SpanInfo& span = index_->spans.at(i);
  const TocChunkCheck& check = checks_.at(i);
  uint64_t begin = index_->points.at(span.point).compressed_bit / 8;
  std::string where = name_ + ": chunk at " + std::to_string(span.start);
  if (check.compressed_end <= begin || check.compressed_end > blob_->Size()) {
    throw Error(ErrorKind::kInternal, EIO, where + ": compressed range out of the blob");
  }
  if (index_->codec == Codec::kGzip) {
    DecodeGzip(begin, check, dst, where);
  } else {
    DecodeZstd(begin, check, dst, where);
  }
  Hasher hasher(AlgorithmOf(check.digest));
  hasher.Update(dst);
  std::string actual = hasher.Finish();
  if (actual != check.digest) {
    throw Error(
        ErrorKind::kIntegrity, EIO,
        where + ": digest mismatch: the TOC says " + check.digest + ", the chunk has " + actual);
  }
}

void TocChunkDecoder::DecodeZstd(uint64_t begin, const TocChunkCheck& check,
                                 std::span<std::byte> dst, const std::string& where) const {
  std::vector<std::byte> input(static_cast<size_t>(check.compressed_end - begin));
  ReadExactly(*blob_, begin, input);
  size_t got = ZSTD_decompress(dst.data(), dst.size(), input.data(), input.size());
  if (ZSTD_isError(got)) ThrowBadImage(where + ": zstd: " + ZSTD_getErrorName(got));
  if (got != dst.size()) {
    ThrowBadImage(where + ": decodes to " + std::to_string(got) + " bytes, not the TOC's " +
                  std::to_string(dst.size()));
  }
}

void TocChunkDecoder::DecodeGzip(uint64_t begin, const TocChunkCheck& check,
                                 std::span<std::byte> dst, const std::string& where) const {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    throw Error(ErrorKind::kInternal, ENOMEM, "zlib: cannot create a decoder");
  }
  struct Closer {
    z_stream* z;
    ~Closer() { inflateEnd(z); }
  } closer{&z};
  std::vector<std::byte> input(
      static_cast<size_t>(std::clamp<uint64_t>(check.compressed_end - begin, 4096, 256 * 1024)));
  std::vector<std::byte> skipped(static_cast<size_t>(std::min<uint64_t>(check.skip, 4096)));
  uint64_t at = begin;
  uint64_t skip = check.skip;
  size_t filled = 0;
  while (filled < dst.size()) {
    if (z.avail_in == 0) {
      if (at >= check.compressed_end) ThrowBadImage(where + ": gzip data ends before the chunk");
      size_t n = static_cast<size_t>(std::min<uint64_t>(input.size(), check.compressed_end - at));
      ReadExactly(*blob_, at, std::span(input.data(), n));
      at += n;
      z.next_in = reinterpret_cast<Bytef*>(input.data());
      z.avail_in = static_cast<uInt>(n);
    }
    std::span<std::byte> target = skip > 0 ? std::span(skipped).first(static_cast<size_t>(
                                                 std::min<uint64_t>(skip, skipped.size())))
                                           : dst.subspan(filled);
    z.next_out = reinterpret_cast<Bytef*>(target.data());
    z.avail_out = static_cast<uInt>(std::min<size_t>(target.size(), 1u << 30));
    int ret = inflate(&z, Z_NO_FLUSH);
    size_t produced = static_cast<size_t>(target.size() - z.avail_out);
    if (skip > 0) {
      skip -= produced;
    } else {
      filled += produced;
    }
    if (ret == Z_STREAM_END) {
      // The chunk goes on in the next member.
      if (inflateReset(&z) != Z_OK) ThrowBadImage(where + ": gzip: cannot continue");
    } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && z.avail_in == 0)) {
      ThrowBadImage(where + ": gzip: " + (z.msg != nullptr ? z.msg : "corrupt data"));
    }
  }
}

void TocChunkDecoder::ForgetSpanInput(size_t i) const {
  const SpanInfo& span = index_->spans.at(i);
  uint64_t begin = index_->points.at(span.point).compressed_bit / 8;
  uint64_t end = checks_.at(i).compressed_end;
  if (end > begin) blob_->Forget(begin, end - begin);
}

}  // namespace imgmount
