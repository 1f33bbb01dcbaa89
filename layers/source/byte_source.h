// The one byte abstraction of imgmount: an immutable, random-access source of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace imgmount {

/// One piece of bytes a source lends without copying them; valid while `owner` lives.
struct LentPiece {
  /// Keeps the bytes alive.
  std::shared_ptr<const void> owner;
  /// The bytes.
  std::span<const std::byte> bytes;
};

/// Bytes a source lends without copying them: consecutive pieces (one per place in memory they
/// lie in, e.g. per decoded span), in order.
struct LentBytes {
  /// The pieces, none of them empty.
  std::vector<LentPiece> pieces;
};

/// Most pieces one Lend returns: a larger read is copied instead.
inline constexpr size_t kMaxLentPieces = 8;

/// An immutable random-access byte source: no cursor, safe to call from any thread at once.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  /// Total number of bytes in the source.
  virtual uint64_t Size() const = 0;

  /// Copies up to dst.size() bytes starting at `offset` into dst and returns how many were copied;
  /// fewer only when the end of the source is reached (0 at or past the end). Throws Error.
  virtual size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const = 0;

  /// A short description naming the source in error messages (a path, "layer sha256:ab12..").
  virtual std::string Describe() const = 0;
  /// Lends exactly [offset, offset + length) when the source holds those bytes in memory (in at
  /// most kMaxLentPieces pieces); nullopt otherwise (then ReadAt copies them). Throws Error as
  /// ReadAt does.
  virtual std::optional<LentBytes> Lend(uint64_t offset, size_t length) const {
    static_cast<void>(offset);
    static_cast<void>(length);
    return std::nullopt;
  }
  /// Hints that [offset, offset + length) will be read soon, so that a source on disk can start
  /// reading it while the caller works on its first bytes; the default does nothing.
  virtual void WillNeed(uint64_t offset, uint64_t length) const {
    static_cast<void>(offset);
    static_cast<void>(length);
  }
  /// Says that bytes read from [offset, offset + length) failed a check, so that a source that
  /// keeps copies of fetched bytes (a registry's chunk cache) drops them; the default does nothing.
  virtual void Forget(uint64_t offset, uint64_t length) const {
    static_cast<void>(offset);
    static_cast<void>(length);
  }
};

/// Shared handle to an immutable byte source.
using SourcePtr = std::shared_ptr<const ByteSource>;

/// Reads exactly dst.size() bytes at `offset` or throws a kBadImage Error naming the source.
void ReadExactly(const ByteSource& source, uint64_t offset, std::span<std::byte> dst);

/// Reads the whole source into a string, refusing sources larger than `limit` bytes.
std::string ReadAll(const ByteSource& source, uint64_t limit);

}  // namespace imgmount
