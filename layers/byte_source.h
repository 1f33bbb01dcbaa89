// The one byte abstraction of imgmount: an immutable, random-access source of bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace imgmount {

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
};

/// Shared handle to an immutable byte source.
using SourcePtr = std::shared_ptr<const ByteSource>;

/// Reads exactly dst.size() bytes at `offset` or throws a kBadImage Error naming the source.
void ReadExactly(const ByteSource& source, uint64_t offset, std::span<std::byte> dst);

/// Reads the whole source into a string, refusing sources larger than `limit` bytes.
std::string ReadAll(const ByteSource& source, uint64_t limit);

}  // namespace imgmount
