// Reading a small configuration file (an auth file, a --cert-dir certificate) whose path the
// user gives: at most a limit's worth of bytes, so that a device or a FIFO cannot hold the client.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace imgmount {

/// The bytes of the file at `path` (symlinks followed), reading at most `limit` + 1 of them; a
/// FIFO without a writer reads as empty. Returns nullopt with errno set if the file cannot be
/// opened or read. Throws kUsage (EFBIG) "<what> is larger than N MiB" if it holds more than
/// `limit` bytes.
std::optional<std::string> ReadBoundedFile(const std::string& path, size_t limit,
                                           const std::string& what);

}  // namespace imgmount
