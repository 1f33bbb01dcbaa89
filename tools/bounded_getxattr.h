// Asking a mount for an attribute without hanging on it: a FUSE daemon that is stopped or stuck
// would block getxattr(2) forever, so the question is asked by a child process that is given up
// on after a time limit.
#pragma once

#include <optional>
#include <string>

namespace imgmount {

/// What a bounded attribute read found.
struct AttributeAnswer {
  /// The attribute's value; nullopt when it could not be read or no answer came in time.
  std::optional<std::string> value;
  /// The errno of a failed read (0 when it succeeded or timed out).
  int error = 0;
  /// True when the file system did not answer within the time limit.
  bool timed_out = false;
};

/// Reads attribute `name` of `path` in a child process; gives up (and kills the child) after
/// `timeout_ms` milliseconds.
AttributeAnswer ReadAttributeWithin(const std::string& path, const char* name, int timeout_ms);

}  // namespace imgmount
