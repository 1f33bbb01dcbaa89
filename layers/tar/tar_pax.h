// PAX extended headers ('x' and 'g') as Go's archive/tar parses them (reader.go parsePAX,
// strconv.go parsePAXRecord and validPAXRecord): "LEN key=value\n" records, LEN counting the
// whole record; a later record of a key replaces an earlier one, an empty value included (every
// user of the map then treats the key as unset, so an empty record deletes the keyword); GNU
// sparse 0.0 "GNU.sparse.offset" / "GNU.sparse.numbytes" pairs are joined into "GNU.sparse.map".
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace imgmount {

/// The records of one PAX header by key (sorted, so iteration order is fixed).
using PaxRecords = std::map<std::string, std::string, std::less<>>;

/// Parses the body of a PAX header into `out` (replacing its content). Returns "" on success,
/// else what is wrong, e.g. "bad PAX record length".
std::string ParsePaxRecords(std::string_view body, PaxRecords* out);

/// The value of `key`, or "" when it is absent (Go reads a missing map key as "").
std::string_view PaxValue(const PaxRecords& records, std::string_view key);

}  // namespace imgmount
