// Sparse maps of GNU tar's formats as Go's archive/tar reads them (reader.go readOldGNUSparseMap,
// readGNUSparseMap0x1, readGNUSparseMap1x0; common.go validateSparseEntries): the old GNU map in
// the 'S' header and its extension blocks, PAX 0.0 (offset/numbytes record pairs, joined by the
// PAX parser) and 0.1 ("GNU.sparse.map"), and PAX 1.0 (decimal lines at the start of the data).
// A map lists data fragments; everything else is a hole. It is valid when every fragment is
// non-negative, in order, not overlapping and inside the real size; empty fragments are allowed
// (GNU tar ends a map that ends in a hole with one) and a map with no fragment is a file that is
// all hole, which is still sparse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "layers/tar/tar_header.h"
#include "layers/tar/tar_pax.h"

namespace imgmount {

/// A data fragment as the archive states it, unchecked.
struct SparseFragment {
  int64_t offset = 0;
  int64_t length = 0;
};

/// The most bytes of sparse map read for one member (a PAX 1.0 map, old GNU extension blocks),
/// as Go bounds every special file by 1 MiB.
inline constexpr uint64_t kMaxSparseMapBytes = 1u << 20;

/// Whether `map` is a valid map of a file of `size` bytes (Go's validateSparseEntries).
bool ValidSparseMap(const std::vector<SparseFragment>& map, int64_t size);

/// The data runs of a valid map: empty fragments dropped, touching fragments joined.
std::vector<TarSparseRun> SparseRunsOf(const std::vector<SparseFragment>& map);

/// Appends the fragments of an old GNU sparse array (`count` entries of a 12-byte offset and a
/// 12-byte length) up to the first entry whose offset starts with NUL. False on a bad number.
bool AppendOldGnuFragments(std::string_view area, size_t count, std::vector<SparseFragment>* map);

/// Parses a PAX 0.0 / 0.1 map from "GNU.sparse.numblocks" and "GNU.sparse.map"; "" on success,
/// else what is wrong.
std::string ParseSparseMap0x(const PaxRecords& records, std::vector<SparseFragment>* map);

/// Newlines a PAX 1.0 map in `text` needs in all: 1 + 2 * its entry count; nullopt if the first
/// line is not a valid count. Call once `text` holds at least one newline.
std::optional<uint64_t> SparseMap1x0Lines(std::string_view text);

/// Parses a PAX 1.0 map from `text`, which holds at least SparseMap1x0Lines() newlines; "" on
/// success, else what is wrong.
std::string ParseSparseMap1x0(std::string_view text, std::vector<SparseFragment>* map);

}  // namespace imgmount
