// The content of one regular-file member, read from its layer's uncompressed stream: used by the
// union tree and by lazy lookups that have no tree yet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "index/layer/layer_index.h"

namespace imgmount {

/// Reads member `m` of `layer` at `offset` (holes of a sparse file read as zeros); returns the
/// bytes copied, fewer only at the end of the file. Throws kBadImage (EIO) for an invalid sparse
/// map or a stream that ends early, naming the layer and the path.
size_t ReadMemberData(const LayerIndex& layer, const TarMember& m, uint64_t offset,
                      std::span<std::byte> dst);

/// Member `m`'s bytes from `offset`, up to `size` of them (fewer only at the end of the file),
/// lent by the layer's stream without a copy when it holds them in one piece in memory (a
/// decoded span); nullopt when they must be read with ReadMemberData, or at the end.
std::optional<LentBytes> LendMemberData(const LayerIndex& layer, const TarMember& m,
                                        uint64_t offset, size_t size);

/// Bytes actually stored for the member (its size, or the sum of a sparse file's runs; 0 for an
/// invalid sparse map).
uint64_t MemberStoredBytes(const TarMember& m);

/// For lseek(SEEK_DATA/SEEK_HOLE): the first data (want_data) or hole offset >= offset, or
/// nullopt if there is none before the end (the end itself counts as a hole). Throws for an
/// invalid sparse map.
std::optional<uint64_t> SeekMemberData(const LayerIndex& layer, const TarMember& m, uint64_t offset,
                                       bool want_data);

}  // namespace imgmount
