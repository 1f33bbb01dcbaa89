#include "layers/gzip/gzip_pass.h"

#include <algorithm>
#include <cstring>

#include "layers/gzip/gzip_source.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/span_table.h"

namespace imgmount {

namespace {

constexpr size_t kInputBytes = 1 << 20;

}  // namespace

GzipPass::GzipPass(SourcePtr blob, std::string name, const DecodeOptions& options)
    : BufferedPass(options),
      blob_(std::move(blob)),
      name_(std::move(name)),
      options_(options),
      input_(*blob_, kInputBytes, blob_hasher(), true),
      stream_(input_, name_, true, true),
      index_(std::make_shared<StreamIndex>()),
      builder_(index_.get(), ClampedSpanBytes(options)) {
  index_->codec = Codec::kGzip;
  index_->blob_size = input_.size();
  stream_.StartAtMember(0);
}

GzipPass::~GzipPass() {
  StopDecoding();
}

void GzipPass::Produce() {
  out_len_ = 0;
  while (out_len_ == 0 && !ended_) {
    if (!stream_.boundary_requested() && builder_.WantPoint(stream_.input_position())) {
      stream_.RequestBoundary();
    }
    size_t cap = static_cast<size_t>(std::min<uint64_t>(kOutBytes, builder_.UntilPointDue()));
    std::span<std::byte> out(out_.get(), stream_.Read(std::span(out_.get(), cap)));
    builder_.Add(out);
    out_len_ = out.size();
    OnStop();
  }
}

void GzipPass::OnStop() {
  switch (stream_.stop()) {
    case GzipStream::Stop::kNone:
      return;
    case GzipStream::Stop::kMemberStart:
      if (builder_.WantPoint(stream_.point_bit() / 8)) {
        AccessPoint point;
        point.compressed_bit = stream_.point_bit();
        builder_.AddPoint(std::move(point));
      }
      return;
    case GzipStream::Stop::kBoundary: {
      AccessPoint point;
      point.compressed_bit = stream_.point_bit();
      packer_.Pack(stream_.history(), point);
      builder_.AddPoint(std::move(point));
      stream_.Resume();
      return;
    }
    case GzipStream::Stop::kEnd:
      End();
      return;
  }
}

void GzipPass::End() {
  ended_ = true;
  builder_.Finish();
  FinishBlobDigest(input_);
}

SourcePtr GzipPass::Finish() {
  Drain();
  if (!source_) {
    auto decoder = std::make_shared<GzipSpanDecoder>(blob_, index_, name_);
    source_ = std::make_shared<CachedStream>(std::move(decoder), name_, options_);
  }
  return source_;
}

}  // namespace imgmount
