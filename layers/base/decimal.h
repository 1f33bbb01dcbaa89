// Parsing of plain decimal numbers given in options and environment variables.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace imgmount {

/// The value of `text` if it is one or more decimal digits (no sign, no spaces, nothing else)
/// whose value fits in 64 bits; nullopt otherwise.
std::optional<uint64_t> ParseDecimal(std::string_view text);

}  // namespace imgmount
