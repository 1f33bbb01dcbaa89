#include "layers/toc/toc_chunk_decoder.h"

#include <zstd.h>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/toc/gzip_members.h"

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
  InflateMembersAt(*blob_, begin, check.compressed_end, check.skip, dst, where);
}

void TocChunkDecoder::ForgetSpanInput(size_t i) const {
  const SpanInfo& span = index_->spans.at(i);
  uint64_t begin = index_->points.at(span.point).compressed_bit / 8;
  uint64_t end = checks_.at(i).compressed_end;
  if (end > begin) blob_->Forget(begin, end - begin);
}

}  // namespace imgmount
