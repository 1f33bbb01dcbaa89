// How a persisted index stores a StreamIndex (see decode_pass.h): four sections of a section
// file (section_file.h), integers in the writer's byte order.
//
//   section  record size  content
//   STRM     32           u32 codec (0 none, 1 gzip, 2 zstd), u32 zero, u64 blob size,
//                         u64 uncompressed stream size, u64 size of the local copy (0: none)
//   PNTS     40 each      access points in stream order: u64 compressed offset in bits (in the
//                         blob, or in the local copy), u64 uncompressed offset, u64 offset of
//                         the window in WNDS, u32 stored window bytes, u32 window size once
//                         expanded (<= 32 KiB), u32 flags (1: window raw-deflated, 2: point in
//                         the local copy), u32 zero
//   WNDS     bytes        the stored windows, referenced by PNTS
//   SPNS     24 each      spans back to back from offset 0: u64 start, u64 size (1 B..256 MiB),
//                         u32 index of the access point to decode from, u32 CRC-32 of the bytes
//
// Reading checks every record against its section and the whole index against the blob
// (StreamIndexProblem); the local copy itself is checked against its recorded size and the zstd
// frame that must start at each of its points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "layers/base/section_file.h"
#include "layers/source/byte_source.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// A StreamIndex read back from a file, with the size its local copy had when written.
struct StoredStream {
  /// The access points and spans.
  StreamIndex index;
  /// Bytes of the persisted local copy the points with in_local_copy refer to (0: none).
  uint64_t local_copy_size = 0;
};

/// Adds the sections STRM, PNTS, WNDS and SPNS describing `index` to `writer`; `index` must stay
/// valid until the writer has written.
void AddStreamSections(SectionFileWriter& writer, const StreamIndex& index,
                       uint64_t local_copy_size);

/// Reads the stream sections of `file` and checks them against a blob of `blob_size` bytes
/// (nullopt: of the size the file records); nullopt and `why` on any doubt.
std::optional<StoredStream> ReadStreamSections(const SectionFile& file,
                                               std::optional<uint64_t> blob_size, std::string* why);

/// Whether any access point of `index` lies in a local copy.
bool UsesLocalCopy(const StreamIndex& index);

/// What is wrong with `copy` as the local copy of `stored`: "" if it has the recorded size and a
/// zstd frame starts at every local access point.
std::string LocalCopyProblem(const ByteSource& copy, const StoredStream& stored);

}  // namespace imgmount
