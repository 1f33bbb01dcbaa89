#include "layers/error.h"

#include <cstring>

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
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
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
