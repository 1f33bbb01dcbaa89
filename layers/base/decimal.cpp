#include "layers/base/decimal.h"

#include <charconv>
#include <system_error>

namespace imgmount {

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  // from_chars takes no sign or space for an unsigned type; checking the first character keeps
  // anything but a digit out (it would otherwise be the end of the number).
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace imgmount
