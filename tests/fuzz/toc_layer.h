// The layer the toc target writes its fuzzed TOCs into, shared with the seed generator so that
// the seeds' offsets and digests fit it.
#pragma once

#include <vector>

#include "tests/support/tar_writer.h"

namespace imgmount::fuzz {

/// Three files (one of several 4 KiB chunks), a directory and a symlink.
std::vector<fixture::TarEntry> FuzzTocEntries();

/// The chunk size the toc target and its seeds cut files into.
inline constexpr size_t kFuzzTocChunk = 4096;

}  // namespace imgmount::fuzz
