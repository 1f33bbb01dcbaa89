// The indexing pass over a zstd blob: decodes it once, hashes both sides, and records a point at
// frame starts; frames larger than two spans are recompressed into a local copy of independent
// frames of span_bytes each, so that reads inside them need not decode from the frame start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/base/hasher.h"
#include "layers/stream/blob_input.h"
#include "layers/stream/buffered_pass.h"
#include "layers/stream/span_cache.h"
#include "layers/stream/span_table.h"

typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace imgmount {

class LocalCopyWriter;
class ScratchFile;

/// DecodePass for Codec::kZstd.
class ZstdPass final : public BufferedPass {
 public:
  /// Starts the pass over `blob`, named `name` in errors.
  ZstdPass(SourcePtr blob, std::string name, const DecodeOptions& options);
  ~ZstdPass() override;

  SourcePtr Finish() override;
  const StreamIndex& Index() const override { return *index_; }
  std::shared_ptr<const ScratchFile> LocalCopy() const override;

 private:
  void Produce() override;
  void OnFrameBytes(std::span<const std::byte> bytes);
  void OnFrameEnd();
  void CopyLocally(std::span<const std::byte> bytes);
  void FlushChunk();
  void End();

  SourcePtr blob_;
  std::string name_;
  DecodeOptions options_;
  uint64_t span_bytes_;
  BlobInput input_;
  ZSTD_DCtx* dctx_;
  std::shared_ptr<StreamIndex> index_;
  SpanTableBuilder builder_;

  uint64_t input_position_ = 0;
  uint64_t frame_start_ = 0;
  bool at_frame_start_ = true;
  bool frame_copied_ = false;
  bool force_point_ = false;
  std::vector<std::byte> pending_;

  std::shared_ptr<ScratchFile> local_;
  std::unique_ptr<LocalCopyWriter> writer_;
  std::vector<std::byte> chunk_;
  // Local-copy points (index in index_->points, chunk number) whose offsets Finish fills in.
  std::vector<std::pair<size_t, size_t>> local_points_;
  size_t chunks_ = 0;

  SourcePtr source_;
};

}  // namespace imgmount
