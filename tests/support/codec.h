// Compression and digest helpers for building fixture images: gzip, zstd (one or many frames),
// SHA-256.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace imgmount::fixture {

/// Layer or outer-stream compression of a fixture.
enum class Compression {
  kNone,          ///< stored as is
  kGzip,          ///< one gzip member
  kGzipMulti,     ///< several gzip members, one per `frame_size` bytes of input
  kZstd,          ///< one zstd frame
  kZstdMulti,     ///< several zstd frames, one per `frame_size` bytes of input
  kZstdSeekable,  ///< zstd frames plus the seekable-format seek table (a skippable frame)
  kEstargz,       ///< eStargz: a gzip member per chunk of `frame_size`, TOC, footer (layers only)
};

/// Compresses `data` as one gzip member.
std::string GzipCompress(std::string_view data, int level = 6);

/// Compresses `data` as one zstd frame with the content size in its header.
std::string ZstdCompress(std::string_view data, int level = 3);

/// Compresses `data` as consecutive zstd frames of at most `frame_size` input bytes each.
std::string ZstdCompressFrames(std::string_view data, size_t frame_size, int level = 3);

/// Compresses `data` as consecutive gzip members of at most `frame_size` input bytes each.
std::string GzipCompressMembers(std::string_view data, size_t frame_size, int level = 6);

/// Compresses `data` in the zstd seekable format: frames of `frame_size` input bytes followed
/// by a seek table in a skippable frame (no per-frame checksums).
std::string ZstdCompressSeekable(std::string_view data, size_t frame_size, int level = 3);

/// Compresses `data` with the given method; the multi-part methods use `frame_size`.
std::string Compress(std::string_view data, Compression method, size_t frame_size = 64 * 1024);

/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

/// "sha256:" followed by the hex SHA-256 of `data`.
std::string Sha256Digest(std::string_view data);

/// Parses a name CompressionName returns; throws std::invalid_argument otherwise.
Compression ParseCompression(std::string_view name);

/// The name ParseCompression accepts for a method.
const char* CompressionName(Compression method);

}  // namespace imgmount::fixture
