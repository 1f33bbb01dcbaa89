// Sizes and times written as the docker CLI writes them (go-units): decimal sizes with three
// significant digits ("12.3MB"), durations rounded to the unit users read ("3 weeks"), and
// RFC 3339 timestamps, and tables aligned as docker's tabwriter aligns them. Used by history
// and images, whose users compare them with docker's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgmount {

/// "0B", "999B", "1.23kB", "12.3MB": decimal units, three significant digits, as `docker images`.
std::string DockerSize(uint64_t bytes);

/// "Less than a second", "About a minute", "5 hours", "3 weeks", "2 years": as docker's CREATED
/// column says how long ago something was (`seconds` may be negative: "Less than a second").
std::string DockerDuration(int64_t seconds);

/// The Unix time of an RFC 3339 timestamp ("2024-01-02T03:04:05.123Z", "...+02:00"); fractions
/// are dropped. nullopt if it is not one.
std::optional<int64_t> ParseRfc3339(const std::string& text);

/// `seconds` as RFC 3339 in the local time zone ("2024-01-02T04:04:05+01:00", "...Z" in UTC).
std::string FormatRfc3339Local(int64_t seconds);

/// Prints `rows` (the first is the header) in columns as docker's tabwriter does: each column as
/// wide as its widest cell plus 3 (at least 10), the last column unpadded.
void PrintDockerTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace imgmount
