// The checks that make index tables mapped from a file safe to use: every index, offset and
// length inside its table, every path and hardlink target normalised, every type, mode and time
// in range, every member's data inside the stream.
#pragma once

#include <cstdint>
#include <string>

#include "index/layer/layer_index.h"

namespace imgmount {

/// What is wrong with tables `t` over a stream of `stream_size` bytes (e.g. "member 7 has an
/// unsafe path"), or "" if they are safe to use. Linear in the size of the tables.
std::string TablesProblem(const IndexTables& t, uint64_t stream_size);

}  // namespace imgmount
