// The uncompressed stream of a gzip blob of one or more members, decoded forward either from the
// start (checking every member's trailer) or from an access point inside a member.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "layers/gzip/gzip_inflate.h"

namespace imgmount {

class BlobInput;

/// Forward decoder of a (multi-member) gzip blob.
class GzipStream {
 public:
  /// Why the last Read returned before filling its buffer.
  enum class Stop {
    kNone,         ///< it did fill the buffer
    kMemberStart,  ///< a member header was parsed; point_bit() is where its deflate data starts
    kBoundary,     ///< a requested block boundary; point_bit() and history() describe it
    kEnd,          ///< the last member ended
  };

  /// A decoder of `input` named `name` in errors; `verify` checks member trailers (CRC-32 and
  /// size), `keep_history` keeps the window for boundaries.
  GzipStream(BlobInput& input, std::string name, bool verify, bool keep_history);

  /// Starts at the member header at byte `offset` (0 for the whole blob).
  void StartAtMember(uint64_t offset);

  /// Starts inside a member at the block boundary `bit` with `window` as history.
  void StartAtPoint(uint64_t bit, std::span<const std::byte> window);

  /// Decodes into dst; returns the bytes written, fewer only when stop() != kNone.
  size_t Read(std::span<std::byte> dst);

  /// Why the last Read stopped early.
  Stop stop() const { return stop_; }

  /// Asks Read to stop at the end of the current deflate block (a kBoundary stop).
  void RequestBoundary() { deflate_.RequestBoundary(); }

  /// Whether a boundary is requested and not reached yet.
  bool boundary_requested() const { return deflate_.boundary_requested(); }

  /// Continues after a kBoundary stop.
  void Resume() { deflate_.Resume(); }

  /// The compressed bit offset of the last kMemberStart or kBoundary stop.
  uint64_t point_bit() const { return point_bit_; }

  /// The window before a kBoundary stop (limited to the current member).
  std::span<const std::byte> history() const { return deflate_.history(); }

  /// Approximate compressed byte offset reached.
  uint64_t input_position() const;

 private:
  enum class Phase { kHeader, kDeflate, kTrailer, kDone };

  void FinishMember();

  BlobInput& input_;
  std::string name_;
  bool verify_;
  DeflateDecoder deflate_;
  Phase phase_ = Phase::kDone;
  Stop stop_ = Stop::kNone;
  uint64_t member_offset_ = 0;
  uint64_t point_bit_ = 0;
  uint32_t member_crc_ = 0;
  uint64_t member_size_ = 0;
};

}  // namespace imgmount
