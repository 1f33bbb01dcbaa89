// File content of the union: regular files are read from their layer's uncompressed stream.
// A plain file's bytes are stored at [data_offset, data_offset + size). A sparse file's runs
// (TarMember::sparse, in logical order) are stored back to back from data_offset; the gaps
// between them, and the tail after the last run, read as zeros. Sparse maps come from the image,
// so each is checked once when the tree is built (runs in order, not overlapping, inside the
// logical size); a file with a bad map fails its reads with EIO instead of reading garbage.
// The stored offset of every run is precomputed, so a read finds its first run by binary search.
#include <algorithm>
#include <cstring>

#include "index/union_tree.h"
#include "layers/error.h"

namespace imgmount {
namespace {

// Index of the first run that ends after `offset` (runs are sorted, so their ends are too).
size_t FirstRunAfter(std::span<const SparseExtent> runs, uint64_t offset) {
  auto it = std::partition_point(runs.begin(), runs.end(), [offset](const SparseExtent& run) {
    return run.offset + run.length <= offset;
  });
  return static_cast<size_t>(it - runs.begin());
}

}  // namespace

void UnionTree::IndexSparse(uint32_t id) {
  std::optional<TarMember> m = member(id);
  if (!m || m->sparse.empty()) return;
  SparseFile file;
  file.inode = id;
  file.first_start = sparse_starts_.size();
  uint64_t end = 0;
  uint64_t stored = 0;
  bool valid = true;
  for (const SparseExtent& run : m->sparse) {
    if (run.offset < end || run.length > m->size || run.offset > m->size - run.length) {
      valid = false;
      break;
    }
    sparse_starts_.push_back(stored);
    stored += run.length;
    end = run.offset + run.length;
  }
  if (valid) {
    sparse_starts_.push_back(stored);
  } else {
    sparse_starts_.resize(file.first_start);
  }
  file.valid = valid;
  sparse_files_.push_back(file);
}

const UnionTree::SparseFile* UnionTree::FindSparse(uint32_t id) const {
  auto it = std::lower_bound(sparse_files_.begin(), sparse_files_.end(), id,
                             [](const SparseFile& file, uint32_t key) { return file.inode < key; });
  if (it == sparse_files_.end() || it->inode != id) return nullptr;
  return &*it;
}

TarMember UnionTree::RegularMember(uint32_t id, const char* op) const {
  if (id >= inodes_.size()) {
    throw Error(ErrorKind::kInternal, EINVAL,
                std::string(op) + ": no inode " + std::to_string(id) + " in the union");
  }
  const UnionInode& inode = inodes_[id];
  if (inode.type != MemberType::kRegular) {
    int err = inode.type == MemberType::kDirectory ? EISDIR : EINVAL;
    throw Error(ErrorKind::kUsage, err,
                std::string(op) + ": inode " + std::to_string(id) + " is not a regular file");
  }
  return *member(id);
}

void UnionTree::ReadStored(const UnionInode& inode, const TarMember& m, uint64_t stored_offset,
                           std::span<std::byte> dst) const {
  if (dst.empty()) return;
  const LayerIndex& layer = *layers_[inode.layer];
  uint64_t start = m.data_offset + stored_offset;
  if (start < m.data_offset || start + dst.size() < start) {
    ThrowBadImage(layer.name() + ": /" + std::string(m.path) + ": data offset out of range");
  }
  size_t got = layer.stream()->ReadAt(start, dst);
  if (got != dst.size()) {
    ThrowBadImage(layer.name() + ": /" + std::string(m.path) +
                  ": data truncated at stream offset " + std::to_string(start + got));
  }
}

size_t UnionTree::Read(uint32_t id, uint64_t offset, std::span<std::byte> dst) const {
  const TarMember m = RegularMember(id, "read");
  const UnionInode& inode = inodes_[id];
  if (offset >= inode.size || dst.empty()) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), inode.size - offset));
  dst = dst.first(want);
  const SparseFile* sparse = FindSparse(id);
  if (sparse == nullptr) {
    ReadStored(inode, m, offset, dst);
    return want;
  }
  if (!sparse->valid) {
    ThrowBadImage(layers_[inode.layer]->name() + ": /" + std::string(m.path) +
                  ": invalid sparse map");
  }
  std::span<const SparseExtent> runs = m.sparse;
  uint64_t pos = offset;
  uint64_t end = offset + want;
  for (size_t i = FirstRunAfter(runs, pos); pos < end; ++i) {
    uint64_t data_start = i < runs.size() ? std::max(pos, runs[i].offset) : end;
    uint64_t hole_end = std::min(end, data_start);
    if (hole_end > pos) {
      std::memset(dst.data() + (pos - offset), 0, static_cast<size_t>(hole_end - pos));
      pos = hole_end;
    }
    if (pos >= end) break;
    uint64_t data_end = std::min(end, runs[i].offset + runs[i].length);
    if (data_end > pos) {
      uint64_t stored = sparse_starts_[sparse->first_start + i] + (pos - runs[i].offset);
      ReadStored(
          inode, m, stored,
          dst.subspan(static_cast<size_t>(pos - offset), static_cast<size_t>(data_end - pos)));
      pos = data_end;
    }
  }
  return want;
}

uint64_t UnionTree::StoredBytes(uint32_t id) const {
  if (id >= inodes_.size() || inodes_[id].type != MemberType::kRegular) return 0;
  const SparseFile* sparse = FindSparse(id);
  if (sparse == nullptr) return inodes_[id].size;
  if (!sparse->valid) return 0;
  return sparse_starts_[sparse->first_start + member(id)->sparse.size()];
}

std::optional<uint64_t> UnionTree::SeekData(uint32_t id, uint64_t offset, bool want_data) const {
  const TarMember m = RegularMember(id, "lseek");
  const UnionInode& inode = inodes_[id];
  if (offset >= inode.size) return std::nullopt;
  const SparseFile* sparse = FindSparse(id);
  if (sparse == nullptr) return want_data ? offset : inode.size;
  if (!sparse->valid) {
    ThrowBadImage(layers_[inode.layer]->name() + ": /" + std::string(m.path) +
                  ": invalid sparse map");
  }
  std::span<const SparseExtent> runs = m.sparse;
  uint64_t pos = offset;
  for (size_t i = FirstRunAfter(runs, offset); i < runs.size(); ++i) {
    if (runs[i].length == 0) continue;  // an empty run holds no data
    if (want_data) return std::max(pos, runs[i].offset);
    if (pos < runs[i].offset) return pos;
    pos = runs[i].offset + runs[i].length;
  }
  if (want_data) return std::nullopt;
  return pos;
}

}  // namespace imgmount
