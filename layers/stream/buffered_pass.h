// The part of a decoding pass that every codec shares. The codec's Produce() runs on a decoding
// thread of the pass's own, a few chunks ahead of the reader, so that decoding (inflate, span
// checksums, window packing) and the reader's work (tar parsing, index building, handing the
// stream to its hasher) use two cores; Read and Skip drain the chunks in order and rethrow the
// decoder's error where it happened.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "layers/base/hasher.h"
#include "layers/stream/blob_input.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// A DecodePass whose codec produces output in chunks, decoded ahead on a thread of its own.
class BufferedPass : public DecodePass {
 public:
  ~BufferedPass() override;

  size_t Read(std::span<std::byte> dst) override;
  void Skip(uint64_t n) override;
  void Drain() override { Skip(UINT64_MAX); }
  uint64_t Position() const override { return position_; }
  std::string BlobDigest() const override { return blob_digest_; }
  std::string StreamDigest() const override { return stream_digest_; }

 protected:
  /// Size of the output buffer a codec fills per Produce() call.
  static constexpr size_t kOutBytes = 1 << 20;

  /// Starts the digests `options` ask for: the blob's, fed by the codec's BlobInput
  /// (blob_hasher()) on the decoding thread, and the stream's, fed by the reader as it takes each
  /// chunk (on a hasher thread each). StreamDigest() is ready once the reader has taken the last
  /// chunk; BlobDigest() once the codec has called FinishBlobDigest() at the end.
  explicit BufferedPass(const DecodeOptions& options);

  /// Fills out_[0, out_len_) with the next output, or sets ended_ at the end of the stream (and
  /// calls FinishBlobDigest). Runs on the decoding thread; throws Error on a corrupt stream.
  virtual void Produce() = 0;

  /// The blob's hasher for the codec's BlobInput, or null when the pass computes no digests.
  Hasher* blob_hasher() const { return blob_hash_.get(); }

  /// At the end of the stream: hashes what `input` has not read of the blob and sets the blob
  /// digest (if the pass computes digests).
  void FinishBlobDigest(BlobInput& input);

  /// Stops and joins the decoding thread. A derived class calls it first thing in its
  /// destructor, since the thread runs the derived class's Produce over its members.
  void StopDecoding();

  // Written by Produce on the decoding thread; the reader sees them only with the chunk they
  // describe.
  std::unique_ptr<std::byte[]> out_;
  size_t out_len_ = 0;
  bool ended_ = false;

 private:
  // Decoded bytes handed from the decoding thread to the reader.
  struct Chunk {
    std::unique_ptr<std::byte[]> bytes;
    size_t size = 0;
    bool last = false;  // the stream ends with it
  };

  bool NextChunk();
  void DecodeLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> ready_;
  std::vector<std::unique_ptr<std::byte[]>> free_;
  bool decoder_done_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
  std::unique_ptr<Hasher> blob_hash_;
  std::unique_ptr<Hasher> stream_hash_;
  std::string blob_digest_;    // set on the decoding thread before the last chunk is handed over
  std::string stream_digest_;  // set by the reader as it takes the last chunk

  Chunk current_;
  size_t current_pos_ = 0;
  bool reader_ended_ = false;
  uint64_t position_ = 0;
};

}  // namespace imgmount
