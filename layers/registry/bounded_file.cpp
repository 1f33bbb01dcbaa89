#include "layers/registry/bounded_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "layers/base/error.h"

namespace imgmount {

std::optional<std::string> ReadBoundedFile(const std::string& path, size_t limit,
                                           const std::string& what) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer. It is cleared at once so
  // that a pipe whose writer is slow is read to its end.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return std::nullopt;
  }
  std::string bytes;
  char buffer[64 * 1024];
  while (bytes.size() <= limit) {
    size_t want = std::min(sizeof buffer, limit + 1 - bytes.size());
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return std::nullopt;
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (bytes.size() > limit) {
    throw Error(ErrorKind::kUsage, EFBIG,
                what + " is larger than " + std::to_string(limit >> 20) + " MiB");
  }
  return bytes;
}

}  // namespace imgmount
