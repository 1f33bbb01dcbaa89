#include "layers/tar/tar_pax.h"

#include <vector>

#include "layers/tar/tar_numbers.h"

namespace imgmount {
namespace {

constexpr std::string_view kSparseOffset = "GNU.sparse.offset";
constexpr std::string_view kSparseNumBytes = "GNU.sparse.numbytes";

// Keys whose values Go refuses to hold a NUL (they become C strings in the header).
bool IsStringKey(std::string_view key) {
  return key == "path" || key == "linkpath" || key == "uname" || key == "gname";
}

}  // namespace

std::string ParsePaxRecords(std::string_view body, PaxRecords* out) {
  out->clear();
  std::vector<std::string_view> sparse_map;
  while (!body.empty()) {
    size_t space = body.find(' ');
    if (space == std::string_view::npos) return "PAX record without a length";
    auto length = ParseTarDecimal(body.substr(0, space));
    if (!length || *length < 5 || static_cast<uint64_t>(*length) > body.size() ||
        static_cast<uint64_t>(*length) <= space + 1) {
      return "bad PAX record length";
    }
    std::string_view record = body.substr(space + 1, static_cast<size_t>(*length) - space - 1);
    body.remove_prefix(static_cast<size_t>(*length));
    if (record.back() != '\n') return "PAX record not ended by a newline";
    record.remove_suffix(1);
    size_t equals = record.find('=');
    if (equals == std::string_view::npos) return "PAX record without '='";
    std::string_view key = record.substr(0, equals);
    std::string_view value = record.substr(equals + 1);
    if (key.empty() || key.find('\0') != std::string_view::npos) return "bad PAX record key";
    if (IsStringKey(key) && value.find('\0') != std::string_view::npos) {
      return "NUL in the PAX " + std::string(key) + " record";
    }
    if (key == kSparseOffset || key == kSparseNumBytes) {
      bool want_offset = sparse_map.size() % 2 == 0;
      if ((key == kSparseOffset) != want_offset || value.find(',') != std::string_view::npos) {
        return "GNU sparse 0.0 records out of order";
      }
      sparse_map.push_back(value);
      continue;
    }
    (*out)[std::string(key)] = std::string(value);
  }
  if (!sparse_map.empty()) {
    std::string joined;
    for (std::string_view part : sparse_map) {
      if (!joined.empty()) joined += ',';
      joined += part;
    }
    (*out)["GNU.sparse.map"] = std::move(joined);
  }
  return "";
}

std::string_view PaxValue(const PaxRecords& records, std::string_view key) {
  auto it = records.find(key);
  return it == records.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace imgmount
