#include "layers/codecs/codec_choice.h"

#include <algorithm>

#include "layers/base/error.h"
#include "layers/codecs/plain_pass.h"
#include "layers/gzip/gzip_pass.h"
#include "layers/gzip/gzip_source.h"
#include "layers/stream/cached_stream.h"
#include "layers/zstd/zstd_pass.h"
#include "layers/zstd/zstd_source.h"

namespace imgmount {

namespace {

[[noreturn]] void BadIndex(const std::string& name, const std::string& what) {
  ThrowBadImage(name + ": stored index does not fit the blob: " + what);
}

}  // namespace

std::unique_ptr<DecodePass> StartDecodePass(SourcePtr blob, Codec codec, std::string name,
                                            const DecodeOptions& options) {
  if (name.empty()) name = blob->Describe();
  switch (codec) {
    case Codec::kNone:
      return StartPlainPass(std::move(blob), options);
    case Codec::kGzip:
      return std::make_unique<GzipPass>(std::move(blob), std::move(name), options);
    case Codec::kZstd:
      return std::make_unique<ZstdPass>(std::move(blob), std::move(name), options);
  }
  throw Error(ErrorKind::kInternal, EINVAL, name + ": unknown codec");
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
