#include "layers/base/error.h"

#include <cstring>
#include <new>

namespace imgmount {

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return 2;
    case ErrorKind::kNotFound:
      return 3;
    case ErrorKind::kBadImage:
      return 4;
    case ErrorKind::kIntegrity:
      return 5;
    case ErrorKind::kIo:
      return 6;
    case ErrorKind::kMount:
      return 7;
    case ErrorKind::kUnauthorized:
      return 8;
    case ErrorKind::kInternal:
      return 70;
  }
  return 70;
}

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kBadImage:
      return "bad image";
    case ErrorKind::kIntegrity:
      return "integrity";
    case ErrorKind::kIo:
      return "I/O";
    case ErrorKind::kMount:
      return "mount";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

CapturedError CapturedError::FromCurrent() {
  CapturedError captured;
  try {
    throw;
  } catch (const Error& e) {
    captured.kind_ = e.kind();
    captured.errno_ = e.errno_value();
    captured.message_ = e.what();
  } catch (const std::bad_alloc&) {
    captured.errno_ = ENOMEM;
    captured.message_ = "out of memory";
  } catch (const std::exception& e) {
    captured.message_ = e.what();
  } catch (...) {
    captured.message_ = "unknown error";
  }
  return captured;
}

void CapturedError::Throw() const {
  throw Error(kind_, errno_, message_);
}

void ThrowBadImage(const std::string& message) {
  throw Error(ErrorKind::kBadImage, EIO, message);
}

void ThrowSystemError(const std::string& what) {
  int e = errno;
  ErrorKind kind = (e == ENOENT || e == ENOTDIR) ? ErrorKind::kNotFound : ErrorKind::kIo;
  throw Error(kind, e, what + ": " + std::strerror(e));
}

std::string ShortDigest(const std::string& digest) {
  auto colon = digest.find(':');
  if (colon == std::string::npos) return digest.substr(0, 12);
  return digest.substr(0, colon + 1 + 12);
}

}  // namespace imgmount
