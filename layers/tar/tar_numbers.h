// The number and string encodings of tar headers, read as Go's archive/tar reads them
// (src/archive/tar/strconv.go): NUL-terminated strings, octal fields padded with spaces and NULs,
// GNU base-256 fields, decimal PAX values (strconv.ParseInt) and PAX times ("secs[.frac]").
// Every parser returns nullopt where Go reports ErrHeader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imgmount {

/// A header field as a C string: the bytes before the first NUL (all of them if there is none).
std::string_view TarFieldString(std::string_view field);

/// An octal field: leading and trailing spaces and NULs trimmed, then cut at a NUL; empty is 0.
/// nullopt for anything but octal digits or a value over 64 bits.
std::optional<int64_t> ParseTarOctal(std::string_view field);

/// A numeric field: base-256 (two's complement, top bit of the first byte set) or octal;
/// base-256 may be negative. nullopt for an overflow of int64 or a bad octal field.
std::optional<int64_t> ParseTarNumeric(std::string_view field);

/// A decimal integer as Go's strconv.ParseInt(s, 10, 64): an optional sign, then at least one
/// digit and nothing else; nullopt on anything else or an overflow.
std::optional<int64_t> ParseTarDecimal(std::string_view text);

/// A point in time: seconds since the epoch and nanoseconds in [0, 1e9).
struct TarTime {
  int64_t sec = 0;
  uint32_t nsec = 0;
};

/// A PAX time "SECONDS[.FRACTION]" (seconds may be negative; the fraction is cut to 9 digits).
std::optional<TarTime> ParsePaxTime(std::string_view text);

}  // namespace imgmount
