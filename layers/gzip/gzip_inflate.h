// Raw deflate decoding with ISA-L that can start at any block boundary of a stream (given the
// window of history before it) and can stop at the next block boundary on request.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "layers/stream/stream_index.h"

struct inflate_state;

namespace imgmount {

class BlobInput;

/// Decodes one raw deflate stream (the body of one gzip member) from a block boundary.
class DeflateDecoder {
 public:
  /// A decoder reading `input`, named `name` in errors; with `keep_history`, history() is kept.
  DeflateDecoder(BlobInput& input, const std::string& name, bool keep_history);
  ~DeflateDecoder();
  DeflateDecoder(const DeflateDecoder&) = delete;
  DeflateDecoder& operator=(const DeflateDecoder&) = delete;

  /// (Re)starts at bit `bit_offset` of the input, which must be the start of a deflate block,
  /// with `window` (at most 32 KiB) as the history before it.
  void Start(uint64_t bit_offset, std::span<const std::byte> window);

  /// Decodes into dst and returns the bytes written: fewer than dst.size() only at the end of
  /// the stream or at a requested block boundary. Throws kBadImage on corrupt or truncated data.
  size_t Decode(std::span<std::byte> dst);

  /// Asks Decode to stop at the end of the current block.
  void RequestBoundary() { boundary_requested_ = true; }

  /// Whether a boundary was requested and not reached yet.
  bool boundary_requested() const { return boundary_requested_; }

  /// Whether Decode stopped at a requested block boundary (then call Resume to go on).
  bool at_boundary() const { return at_boundary_; }

  /// Continues past the block boundary Decode stopped at.
  void Resume();

  /// Whether the final block has ended.
  bool finished() const { return finished_; }

  /// Bit offset just after the last block decoded, valid at a boundary or when finished.
  uint64_t end_bit() const { return end_bit_; }

  /// Approximate byte offset of the compressed input consumed so far.
  uint64_t input_position() const { return input_position_; }

  /// The last min(32 KiB, bytes of this stream and initial window) output bytes (keep_history).
  std::span<const std::byte> history() const;

 private:
  void Remember(std::span<const std::byte> out);
  [[noreturn]] void Fail(const std::string& what) const;

  BlobInput& input_;
  const std::string& name_;
  std::unique_ptr<inflate_state> state_;
  uint64_t input_position_ = 0;
  uint64_t end_bit_ = 0;
  bool keep_history_;
  bool boundary_requested_ = false;
  bool faked_final_ = false;
  bool real_final_ = false;
  bool at_boundary_ = false;
  bool finished_ = false;
  std::unique_ptr<std::byte[]> history_;
  size_t history_size_ = 0;
};

}  // namespace imgmount
