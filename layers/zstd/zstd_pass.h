// The indexing pass over a zstd blob: decodes it once, hashes both sides, and records a point at
// frame starts; frames larger than two spans are recompressed into a local copy of independent
// frames of at most kLocalCopyFrameBytes each (one span each), so that a read inside them decodes
// one small frame, not everything from the frame start.
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

/// Largest uncompressed size of one frame (and span) of a local copy: a cold 4 KiB read decodes
/// one such frame, so it costs a quarter of a 2 MiB span's read, decode and check.
inline constexpr uint64_t kLocalCopyFrameBytes = 512 * 1024;

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
  uint64_t local_frame_bytes_;
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
