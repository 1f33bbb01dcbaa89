// Inflating gzip members straight from a blob for an eStargz layer: its TOC's member and its
// chunks, each starting a member (no window needed), the output running on into the next
// members until enough bytes came.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "layers/source/byte_source.h"

namespace imgmount {

/// Inflates the gzip members of `blob` starting at `begin` (reading no byte at or past `end`),
/// drops the first `skip` bytes of their output and fills `dst` exactly with what follows;
/// `where` names the data in errors. Throws kBadImage if the data is not gzip or ends first.
void InflateMembersAt(const ByteSource& blob, uint64_t begin, uint64_t end, uint64_t skip,
                      std::span<std::byte> dst, const std::string& where);

}  // namespace imgmount
