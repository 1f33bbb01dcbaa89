// Layer blobs with a table of contents for tests and the fixture builder, with a hook to edit the
// TOC's JSON for hostile tests: zstd:chunked (each file's content in chunks that start new zstd
// frames, the TOC in a skippable frame, the footer) as containers/storage writes it, and
// eStargz (each chunk starts a new gzip member, the TOC is the tar entry stargz.index.json in the
// last member but one, then the 51-byte footer) as containerd/stargz-snapshotter writes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/tar_writer.h"

namespace imgmount::fixture {

/// A zstd:chunked blob and what its descriptor's annotations say about its TOC.
struct ChunkedBlob {
  /// The whole blob.
  std::string blob;
  /// The uncompressed tar it holds (for its diff_id).
  std::string tar;
  /// The TOC's JSON as written (after the edit hook).
  std::string toc_json;
  /// Offset and length of the compressed TOC in the blob.
  uint64_t toc_offset = 0;
  uint64_t toc_length = 0;
  /// "sha256:..." of the compressed TOC (the manifest-checksum annotation).
  std::string toc_digest;
  /// "offset:length:uncompressedLength:1" (the manifest-position annotation).
  std::string position;
};

/// Writes `entries` (regular files, directories, links, devices, fifos; no sparse files) as a
/// zstd:chunked blob whose files are cut into chunks of `chunk_size` bytes; `edit`, if given,
/// may change the TOC's JSON before it is compressed.
ChunkedBlob MakeZstdChunked(const std::vector<TarEntry>& entries, size_t chunk_size,
                            const std::function<void(std::string&)>& edit = {});

/// An eStargz blob, the tar it holds and its TOC.
struct EstargzBlob {
  /// The whole blob (a valid multi-member gzip file).
  std::string blob;
  /// The uncompressed tar it holds, stargz.index.json included (for its diff_id).
  std::string tar;
  /// The TOC's JSON (after the edit hook).
  std::string toc_json;
  /// "sha256:..." of the JSON (the containerd.io/snapshot/stargz/toc.digest annotation).
  std::string toc_digest;
  /// Offset of the TOC's gzip member.
  uint64_t toc_offset = 0;
};

/// Writes `entries` as an eStargz blob whose files are cut into chunks of `chunk_size` bytes (a
/// sparse file is written whole, holes as zeros); `edit`, if given, may change the TOC's JSON.
EstargzBlob MakeEstargz(const std::vector<TarEntry>& entries, size_t chunk_size,
                        const std::function<void(std::string&)>& edit = {});

/// Standard base64 of `bytes`.
std::string Base64(const std::string& bytes);

}  // namespace imgmount::fixture
