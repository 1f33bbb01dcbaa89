// Shared by the fuzz targets over index files: a way past the section file's own CRC, so that
// mutated inputs reach the checks behind it.
#pragma once

#include <string>

namespace imgmount::fuzz {

/// Writes the true file size and CRC-32 of `bytes` into its section-file header (nothing if
/// `bytes` is shorter than a header).
void FixSectionHeader(std::string& bytes);

}  // namespace imgmount::fuzz
