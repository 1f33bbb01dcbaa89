// The indexing pass over a gzip blob: decodes it once with ISA-L, checks every member's trailer,
// hashes both sides, and records access points and span checksums.
#pragma once

#include <memory>
#include <string>

#include "layers/base/hasher.h"
#include "layers/gzip/gzip_stream.h"
#include "layers/gzip/gzip_window.h"
#include "layers/stream/blob_input.h"
#include "layers/stream/buffered_pass.h"
#include "layers/stream/span_cache.h"
#include "layers/stream/span_table.h"

namespace imgmount {

/// DecodePass for Codec::kGzip.
class GzipPass final : public BufferedPass {
 public:
  /// Starts the pass over `blob`, named `name` in errors.
  GzipPass(SourcePtr blob, std::string name, const DecodeOptions& options);
  ~GzipPass() override;

  SourcePtr Finish() override;
  const StreamIndex& Index() const override { return *index_; }

 private:
  void Produce() override;
  void OnStop();
  void End();

  SourcePtr blob_;
  std::string name_;
  DecodeOptions options_;
  BlobInput input_;
  GzipStream stream_;
  WindowPacker packer_;
  std::shared_ptr<StreamIndex> index_;
  SpanTableBuilder builder_;
  SourcePtr source_;
};

}  // namespace imgmount
