// A plain file's bytes are stored at [data_offset, data_offset + size). A sparse file's runs
// (TarMember::sparse, in logical order) are stored back to back from data_offset; the gaps
// between them, and the tail after the last run, read as zeros. Sparse maps come from the image,
// so every use checks them (runs in order, not overlapping, inside the logical size): a file
// with a bad map fails with EIO instead of reading garbage. A read finds its first run by
// binary search; runs are few in real images, so their stored offsets are summed as it goes.
#include "index/layer/member_data.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "layers/base/error.h"

namespace imgmount {
namespace {

bool ValidRuns(const TarMember& m) {
  uint64_t end = 0;
  for (const SparseExtent& run : m.sparse) {
    if (run.offset < end || run.length > m.size || run.offset > m.size - run.length) return false;
    end = run.offset + run.length;
  }
  return true;
}

[[noreturn]] void InvalidMap(const LayerIndex& layer, const TarMember& m) {
  ThrowBadImage(layer.name() + ": /" + std::string(m.path) + ": invalid sparse map");
}

// Index of the first run that ends after `offset` (runs are sorted, so their ends are too).
size_t FirstRunAfter(std::span<const SparseExtent> runs, uint64_t offset) {
  auto it = std::partition_point(runs.begin(), runs.end(), [offset](const SparseExtent& run) {
    return run.offset + run.length <= offset;
  });
  return static_cast<size_t>(it - runs.begin());
}

// Copies stored bytes [stored_offset, +dst.size()) of `m` from the layer stream.
void ReadStored(const LayerIndex& layer, const TarMember& m, uint64_t stored_offset,
                std::span<std::byte> dst) {
  if (dst.empty()) return;
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

}  // namespace

std::optional<LentBytes> LendMemberData(const LayerIndex& layer, const TarMember& m,
                                        uint64_t offset, size_t size) {
  if (m.is_sparse || offset >= m.size || size == 0) return std::nullopt;
  size_t want = static_cast<size_t>(std::min<uint64_t>(size, m.size - offset));
  uint64_t start = m.data_offset + offset;
  if (start < m.data_offset) return std::nullopt;
  return layer.stream()->Lend(start, want);
}

size_t ReadMemberData(const LayerIndex& layer, const TarMember& m, uint64_t offset,
                      std::span<std::byte> dst) {
  if (offset >= m.size || dst.empty()) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), m.size - offset));
  dst = dst.first(want);
  if (!m.is_sparse) {
    ReadStored(layer, m, offset, dst);
    return want;
  }
  if (!ValidRuns(m)) InvalidMap(layer, m);
  std::span<const SparseExtent> runs = m.sparse;
  size_t first = FirstRunAfter(runs, offset);
  uint64_t stored_before = 0;
  for (size_t i = 0; i < first; ++i) stored_before += runs[i].length;
  uint64_t pos = offset;
  uint64_t end = offset + want;
  for (size_t i = first; pos < end; ++i) {
    uint64_t data_start = i < runs.size() ? std::max(pos, runs[i].offset) : end;
    uint64_t hole_end = std::min(end, data_start);
    if (hole_end > pos) {
      std::memset(dst.data() + (pos - offset), 0, static_cast<size_t>(hole_end - pos));
      pos = hole_end;
    }
    if (pos >= end) break;
    uint64_t data_end = std::min(end, runs[i].offset + runs[i].length);
    if (data_end > pos) {
      uint64_t stored = stored_before + (pos - runs[i].offset);
      ReadStored(
          layer, m, stored,
          dst.subspan(static_cast<size_t>(pos - offset), static_cast<size_t>(data_end - pos)));
      pos = data_end;
    }
    stored_before += runs[i].length;
  }
  return want;
}

uint64_t MemberStoredBytes(const TarMember& m) {
  if (!m.is_sparse) return m.size;
  if (!ValidRuns(m)) return 0;
  uint64_t stored = 0;
  for (const SparseExtent& run : m.sparse) stored += run.length;
  return stored;
}

std::optional<uint64_t> SeekMemberData(const LayerIndex& layer, const TarMember& m, uint64_t offset,
                                       bool want_data) {
  if (offset >= m.size) return std::nullopt;
  if (!m.is_sparse) return want_data ? offset : m.size;
  if (!ValidRuns(m)) InvalidMap(layer, m);
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
