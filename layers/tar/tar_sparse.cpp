#include "layers/tar/tar_sparse.h"

#include <limits>

#include "layers/tar/tar_numbers.h"

namespace imgmount {
namespace {

// The next line of `text` (without its newline); `text` advances past it.
std::string_view NextLine(std::string_view* text) {
  size_t newline = text->find('\n');
  std::string_view line = text->substr(0, newline);
  text->remove_prefix(newline == std::string_view::npos ? text->size() : newline + 1);
  return line;
}

// A valid entry count: not negative, and twice it still an int64 (Go's overflow guard).
bool ValidCount(std::optional<int64_t> count) {
  return count && *count >= 0 && *count <= std::numeric_limits<int64_t>::max() / 2;
}

}  // namespace

bool ValidSparseMap(const std::vector<SparseFragment>& map, int64_t size) {
  if (size < 0) return false;
  int64_t previous_end = 0;
  for (const SparseFragment& f : map) {
    if (f.offset < 0 || f.length < 0) return false;
    if (f.offset > std::numeric_limits<int64_t>::max() - f.length) return false;
    if (f.offset + f.length > size) return false;
    if (previous_end > f.offset) return false;
    previous_end = f.offset + f.length;
  }
  return true;
}

std::vector<TarSparseRun> SparseRunsOf(const std::vector<SparseFragment>& map) {
  std::vector<TarSparseRun> runs;
  for (const SparseFragment& f : map) {
    if (f.length == 0) continue;
    auto offset = static_cast<uint64_t>(f.offset);
    auto length = static_cast<uint64_t>(f.length);
    if (!runs.empty() && runs.back().offset + runs.back().length == offset) {
      runs.back().length += length;
    } else {
      runs.push_back({offset, length});
    }
  }
  return runs;
}

bool AppendOldGnuFragments(std::string_view area, size_t count, std::vector<SparseFragment>* map) {
  constexpr size_t kEntry = 24;
  constexpr size_t kField = 12;
  for (size_t i = 0; i < count && (i + 1) * kEntry <= area.size(); ++i) {
    std::string_view entry = area.substr(i * kEntry, kEntry);
    if (entry[0] == '\0') break;  // the end of the list, as GNU and BSD tar and Go read it
    auto offset = ParseTarNumeric(entry.substr(0, kField));
    auto length = ParseTarNumeric(entry.substr(kField, kField));
    if (!offset || !length) return false;
    map->push_back({*offset, *length});
  }
  return true;
}

std::string ParseSparseMap0x(const PaxRecords& records, std::vector<SparseFragment>* map) {
  auto count = ParseTarDecimal(PaxValue(records, "GNU.sparse.numblocks"));
  if (!ValidCount(count)) return "bad GNU.sparse.numblocks";
  std::string_view text = PaxValue(records, "GNU.sparse.map");
  std::vector<std::string_view> numbers;
  if (!text.empty()) {
    while (true) {
      size_t comma = text.find(',');
      numbers.push_back(text.substr(0, comma));
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
      if (numbers.size() > 2 * static_cast<uint64_t>(*count)) break;
    }
  }
  if (numbers.size() != 2 * static_cast<uint64_t>(*count)) {
    return "GNU.sparse.map does not hold GNU.sparse.numblocks entries";
  }
  for (size_t i = 0; i + 1 < numbers.size(); i += 2) {
    auto offset = ParseTarDecimal(numbers[i]);
    auto length = ParseTarDecimal(numbers[i + 1]);
    if (!offset || !length) return "bad number in GNU.sparse.map";
    map->push_back({*offset, *length});
  }
  return "";
}

std::optional<uint64_t> SparseMap1x0Lines(std::string_view text) {
  auto count = ParseTarDecimal(NextLine(&text));
  if (!ValidCount(count)) return std::nullopt;
  return 1 + 2 * static_cast<uint64_t>(*count);
}

std::string ParseSparseMap1x0(std::string_view text, std::vector<SparseFragment>* map) {
  auto count = ParseTarDecimal(NextLine(&text));
  if (!ValidCount(count)) return "bad entry count in the sparse map";
  for (int64_t i = 0; i < *count; ++i) {
    auto offset = ParseTarDecimal(NextLine(&text));
    auto length = ParseTarDecimal(NextLine(&text));
    if (!offset || !length) return "bad number in the sparse map";
    map->push_back({*offset, *length});
  }
  return "";
}

}  // namespace imgmount
