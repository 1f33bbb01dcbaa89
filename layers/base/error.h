// The one error type of imgmount: an errno for FUSE replies, a class for CLI exit codes, and a
// sentence that names the object at fault.
#pragma once

#include <cerrno>
#include <functional>
#include <stdexcept>
#include <string>

namespace imgmount {

/// Broad classes of failure; each maps to one CLI exit code.
enum class ErrorKind {
  kUsage,         ///< bad command line
  kNotFound,      ///< a file, image, tag, platform or path that does not exist
  kBadImage,      ///< malformed or unsupported image content
  kIntegrity,     ///< digest or checksum mismatch
  kIo,            ///< an operating-system I/O failure
  kMount,         ///< FUSE or mountpoint trouble
  kUnauthorized,  ///< a registry refuses access with the credentials it was given (or none)
  kInternal,      ///< a bug in imgmount
};

/// Exit code a CLI returns for an error of this kind.
int ExitCodeFor(ErrorKind kind);

/// Short human name of an error kind ("bad image", "integrity", ...).
const char* ErrorKindName(ErrorKind kind);

/// An error with an errno, a kind and a message naming the object.
class Error : public std::runtime_error {
 public:
  /// Creates an error; `message` should name the object, e.g. "layer sha256:ab12..: truncated".
  Error(ErrorKind kind, int errno_value, const std::string& message)
      : std::runtime_error(message), kind_(kind), errno_(errno_value) {}

  /// The class of the failure.
  ErrorKind kind() const { return kind_; }
  /// The errno a FUSE reply should carry.
  int errno_value() const { return errno_; }

 private:
  ErrorKind kind_;
  int errno_;
};

/// Receives warning sentences (ignored members, cache trouble, ...) that do not stop the work.
using WarningSink = std::function<void(const std::string&)>;

/// An error caught on one thread, kept as plain data so that other threads throw their own copy
/// of it (an exception object is never shared between threads).
class CapturedError {
 public:
  /// Captures the exception being handled; call only inside a catch block.
  static CapturedError FromCurrent();

  /// Throws a fresh Error with the captured kind, errno and message.
  [[noreturn]] void Throw() const;

  /// The captured message.
  const std::string& message() const { return message_; }

 private:
  ErrorKind kind_ = ErrorKind::kInternal;
  int errno_ = EIO;
  std::string message_;
};

/// Throws kBadImage/EIO with the message.
[[noreturn]] void ThrowBadImage(const std::string& message);

/// Throws kIo with the current errno, naming `what` (e.g. "read /x/y.tar").
[[noreturn]] void ThrowSystemError(const std::string& what);

/// Shortens a digest such as "sha256:abcdef..." to its first 12 hex digits for messages.
std::string ShortDigest(const std::string& digest);

}  // namespace imgmount
