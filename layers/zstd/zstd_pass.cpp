#include "layers/zstd/zstd_pass.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/span_table.h"
#include "layers/zstd/zstd_local_copy.h"
#include "layers/zstd/zstd_source.h"

namespace imgmount {

namespace {

constexpr size_t kInputBytes = 1 << 20;
constexpr int kLocalCopyLevel = 1;

}  // namespace

ZstdPass::ZstdPass(SourcePtr blob, std::string name, const DecodeOptions& options)
    : BufferedPass(options),
      blob_(std::move(blob)),
      name_(std::move(name)),
      options_(options),
      span_bytes_(ClampedSpanBytes(options)),
      local_frame_bytes_(std::min(span_bytes_, kLocalCopyFrameBytes)),
      input_(*blob_, kInputBytes, blob_hasher(), true),
      dctx_(ZSTD_createDCtx()),
      index_(std::make_shared<StreamIndex>()),
      builder_(index_.get(), span_bytes_) {
  if (dctx_ == nullptr) throw Error(ErrorKind::kInternal, ENOMEM, "zstd: cannot create a decoder");
  index_->codec = Codec::kZstd;
  index_->blob_size = input_.size();
}

ZstdPass::~ZstdPass() {
  StopDecoding();
  ZSTD_freeDCtx(dctx_);
}

void ZstdPass::Produce() {
  out_len_ = 0;
  while (out_len_ == 0 && !ended_) {
    auto avail = input_.At(input_position_);
    if (avail.empty() && at_frame_start_) {
      End();
      return;
    }
    ZSTD_inBuffer in{avail.data(), avail.size(), 0};
    ZSTD_outBuffer out{out_.get(), kOutBytes, 0};
    size_t ret = ZSTD_decompressStream(dctx_, &out, &in);
    if (ZSTD_isError(ret)) {
      ThrowBadImage(name_ + ": zstd: " + ZSTD_getErrorName(ret) + " in the frame at offset " +
                    std::to_string(frame_start_));
    }
    input_position_ += in.pos;
    at_frame_start_ = false;
    std::span<const std::byte> bytes(out_.get(), out.pos);
    OnFrameBytes(bytes);
    out_len_ = out.pos;
    if (ret == 0) {
      OnFrameEnd();
      frame_start_ = input_position_;
      at_frame_start_ = true;
    } else if (avail.empty() && out.pos == 0) {
      ThrowBadImage(name_ + ": truncated zstd stream (the frame at offset " +
                    std::to_string(frame_start_) + " is incomplete)");
    }
  }
}

void ZstdPass::OnFrameBytes(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (frame_copied_) {
    CopyLocally(bytes);
    return;
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  if (pending_.size() > 2 * span_bytes_) {
    // Too large to decode from its start for every read: serve it from a local copy.
    frame_copied_ = true;
    if (!local_) {
      local_ = ScratchFile::Create(options_.scratch_dir, name_ + " (local copy)");
      writer_ = std::make_unique<LocalCopyWriter>(local_, kLocalCopyLevel);
    }
    CopyLocally(pending_);
    pending_.clear();
  }
}

void ZstdPass::CopyLocally(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    if (chunk_.empty()) {
      AccessPoint point;
      point.in_local_copy = true;  // its offset is known once the writer is done
      builder_.AddPoint(std::move(point));
      local_points_.emplace_back(index_->points.size() - 1, chunks_);
      chunk_.reserve(local_frame_bytes_);
    }
    size_t n =
        static_cast<size_t>(std::min<uint64_t>(bytes.size(), local_frame_bytes_ - chunk_.size()));
    chunk_.insert(chunk_.end(), bytes.begin(), bytes.begin() + n);
    builder_.Add(bytes.first(n));
    bytes = bytes.subspan(n);
    if (chunk_.size() == local_frame_bytes_) FlushChunk();
  }
}

void ZstdPass::FlushChunk() {
  if (chunk_.empty()) return;
  chunks_ = writer_->Add(std::move(chunk_)) + 1;
  chunk_ = {};
}

void ZstdPass::OnFrameEnd() {
  if (frame_copied_) {
    FlushChunk();
    frame_copied_ = false;
    force_point_ = true;  // decoding cannot go on from the local copy into the blob
    return;
  }
  if (pending_.empty()) return;  // skippable or empty frame
  if (force_point_ || builder_.WantPoint(frame_start_)) {
    AccessPoint point;
    point.compressed_bit = frame_start_ * 8;
    builder_.AddPoint(std::move(point));
    force_point_ = false;
  }
  builder_.Add(pending_);
  pending_.clear();
}

void ZstdPass::End() {
  ended_ = true;
  builder_.Finish();
  if (writer_) {
    std::vector<uint64_t> offsets = writer_->Finish();
    for (auto [point, chunk] : local_points_)
      index_->points[point].compressed_bit = offsets[chunk] * 8;
    writer_.reset();
  }
  FinishBlobDigest(input_);
}

std::shared_ptr<const ScratchFile> ZstdPass::LocalCopy() const {
  return local_;
}

SourcePtr ZstdPass::Finish() {
  Drain();
  if (!source_) {
    auto decoder = std::make_shared<ZstdSpanDecoder>(blob_, local_, index_, name_);
    source_ = std::make_shared<CachedStream>(std::move(decoder), name_, options_);
  }
  return source_;
}

}  // namespace imgmount
