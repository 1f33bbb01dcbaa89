#include "layers/tar/tar_numbers.h"

#include <limits>

namespace imgmount {

std::string_view TarFieldString(std::string_view field) {
  size_t nul = field.find('\0');
  return nul == std::string_view::npos ? field : field.substr(0, nul);
}

std::optional<int64_t> ParseTarOctal(std::string_view field) {
  auto padding = [](char c) { return c == ' ' || c == '\0'; };
  while (!field.empty() && padding(field.front())) field.remove_prefix(1);
  while (!field.empty() && padding(field.back())) field.remove_suffix(1);
  if (field.empty()) return 0;
  field = TarFieldString(field);
  if (field.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : field) {
    if (c < '0' || c > '7') return std::nullopt;
    if (value > (std::numeric_limits<uint64_t>::max() >> 3)) return std::nullopt;
    value = (value << 3) | static_cast<uint64_t>(c - '0');
  }
  // Go converts the unsigned result with int64(x); a 12-byte field cannot reach the sign bit,
  // a longer one (only a PAX-free hostile header) wraps the same way.
  return static_cast<int64_t>(value);
}

std::optional<int64_t> ParseTarNumeric(std::string_view field) {
  if (field.empty() || (static_cast<unsigned char>(field[0]) & 0x80) == 0) {
    return ParseTarOctal(field);
  }
  // Base-256: the bits after the marker bit are a big-endian two's complement number. A negative
  // one is read inverted (-a-1 == ~a) so that the magnitude check is the same for both signs.
  const bool negative = (static_cast<unsigned char>(field[0]) & 0x40) != 0;
  const unsigned char invert = negative ? 0xff : 0x00;
  uint64_t value = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(field[i]) ^ invert;
    if (i == 0) c &= 0x7f;
    if ((value >> 56) != 0) return std::nullopt;
    value = (value << 8) | c;
  }
  if ((value >> 63) != 0) return std::nullopt;
  return negative ? ~static_cast<int64_t>(value) : static_cast<int64_t>(value);
}

std::optional<int64_t> ParseTarDecimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (limit - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (!negative) return static_cast<int64_t>(value);
  return value == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                      : -static_cast<int64_t>(value);
}

std::optional<TarTime> ParsePaxTime(std::string_view text) {
  constexpr size_t kDigits = 9;
  size_t dot = text.find('.');
  std::string_view seconds = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto secs = ParseTarDecimal(seconds);
  if (!secs) return std::nullopt;
  if (fraction.empty()) return TarTime{*secs, 0};
  uint32_t nsec = 0;
  for (size_t i = 0; i < fraction.size(); ++i) {
    char c = fraction[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (i < kDigits) nsec = nsec * 10 + static_cast<uint32_t>(c - '0');
  }
  for (size_t i = fraction.size(); i < kDigits; ++i) nsec *= 10;
  if (!seconds.empty() && seconds.front() == '-' && nsec != 0) {
    // "-1.25" is 1.25 s before the epoch: -2 s plus 0.75 s.
    if (*secs == std::numeric_limits<int64_t>::min()) return TarTime{*secs, 0};
    return TarTime{*secs - 1, 1000000000u - nsec};
  }
  return TarTime{*secs, nsec};
}

}  // namespace imgmount
