// The one sequential decoding pass that indexing makes over a blob: it hands out the uncompressed
// stream, records access points and span checksums, hashes as it goes, and finally yields the
// random-access source over the stream. Each codec implements it; layers/codecs/ chooses one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/stream_index.h"

namespace imgmount {

class ScratchFile;

/// One sequential pass over a blob's uncompressed stream, made once while indexing. It records
/// access points and hashes as it goes; Finish() then yields a random-access source.
class DecodePass {
 public:
  virtual ~DecodePass() = default;

  /// Copies the next uncompressed bytes into dst; returns 0 only at the end. Throws Error on a
  /// corrupt or truncated stream.
  virtual size_t Read(std::span<std::byte> dst) = 0;

  /// Advances n bytes (or to the end). For an uncompressed blob this reads nothing, and then the
  /// hashes are not computed.
  virtual void Skip(uint64_t n) = 0;

  /// Consumes the rest of the stream (see Skip).
  virtual void Drain() = 0;

  /// Uncompressed bytes consumed so far.
  virtual uint64_t Position() const = 0;

  /// A thread-safe random-access source over the uncompressed stream; drains the rest first.
  virtual SourcePtr Finish() = 0;

  /// "sha256:<hex>" of the compressed blob, or empty if not computed (valid after the end).
  virtual std::string BlobDigest() const = 0;

  /// "sha256:<hex>" of the uncompressed stream (the diff_id), or empty if not computed.
  virtual std::string StreamDigest() const = 0;

  /// The access points and span checksums recorded so far (complete after the end).
  virtual const StreamIndex& Index() const = 0;

  /// The local copy that points with in_local_copy refer to (zstd single-frame fallback), or
  /// null when the index has none; complete after Finish().
  virtual std::shared_ptr<const ScratchFile> LocalCopy() const { return nullptr; }
};

}  // namespace imgmount
