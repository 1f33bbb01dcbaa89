// The per-open state of a regular file, as FUSE file systems keep it in fi->fh: open resolves
// the inode once into the layer that supplies the file and its member there, every read and
// lseek of that open is served from it without looking up an inode, a tree or a layer, and
// release deletes it. It holds its layer (index tables and stream) itself, so an open file stays
// readable whatever the mount's view does meanwhile (the union tree replacing the lazy answers,
// a lower layer failing). Immutable after construction: the request threads share it unlocked.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "index/layer/layer_index.h"

namespace imgmount {

/// What reads of one open regular file are served from.
class OpenFile {
 public:
  /// The file supplied by member `member` of `layer`, which must be a regular file (the caller
  /// checked its type).
  OpenFile(std::shared_ptr<const LayerIndex> layer, uint32_t member);

  /// The file's logical size (holes of a sparse file included).
  uint64_t size() const { return member_.size; }

  /// Up to `size` bytes from `offset` lent by the layer's stream without a copy, or nullopt when
  /// they must be copied with Read (see LendMemberData).
  std::optional<LentBytes> Lend(uint64_t offset, size_t size) const;

  /// Copies the bytes from `offset` into `dst`; returns how many, fewer only at the end of the
  /// file. Throws kBadImage (EIO) for data the layer cannot supply (see ReadMemberData).
  size_t Read(uint64_t offset, std::span<std::byte> dst) const;

  /// For lseek(SEEK_DATA/SEEK_HOLE): the first data (want_data) or hole offset >= `offset`, or
  /// nullopt if there is none before the end (see SeekMemberData).
  std::optional<uint64_t> Seek(uint64_t offset, bool want_data) const;

 private:
  std::shared_ptr<const LayerIndex> layer_;
  /// A view into layer_'s tables, valid as long as layer_ is held.
  TarMember member_;
};

}  // namespace imgmount
