#include "tools/bounded_getxattr.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layers/base/error.h"

namespace imgmount {
namespace {

// The value of attribute `name` of `path` (retrying while it grows); nullopt and errno set if
// it cannot be read.
std::optional<std::string> ReadAttribute(const std::string& path, const char* name) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    ssize_t size = ::getxattr(path.c_str(), name, nullptr, 0);
    if (size < 0) return std::nullopt;
    std::string value(static_cast<size_t>(size) + 4096, '\0');  // room to grow meanwhile
    ssize_t got = ::getxattr(path.c_str(), name, value.data(), value.size());
    if (got >= 0) {
      value.resize(static_cast<size_t>(got));
      return value;
    }
    if (errno != ERANGE) return std::nullopt;
  }
  return std::nullopt;
}

// Writes all of `data` to `fd`; false on failure.
bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child's side: one int (0 or the errno), then the value.
[[noreturn]] void AnswerInChild(int fd, const std::string& path, const char* name) {
  std::optional<std::string> value = ReadAttribute(path, name);
  int error = value ? 0 : errno;
  bool ok =
      WriteAll(fd, &error, sizeof error) && (!value || WriteAll(fd, value->data(), value->size()));
  ::_exit(ok ? 0 : 1);
}

long long NowMs() {
  struct timespec now {};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace

AttributeAnswer ReadAttributeWithin(const std::string& path, const char* name, int timeout_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowSystemError("pipe");
  pid_t child = ::fork();
  if (child < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    errno = e;
    ThrowSystemError("fork");
  }
  if (child == 0) {
    ::close(fds[0]);
    AnswerInChild(fds[1], path, name);
  }
  ::close(fds[1]);
  std::string reply;
  bool complete = false;
  long long deadline = NowMs() + timeout_ms;
  for (;;) {
    long long left = deadline - NowMs();
    if (left <= 0) break;
    struct pollfd p {
      fds[0], POLLIN, 0
    };
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[65536];
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      complete = n == 0;
      break;
    }
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  AttributeAnswer answer;
  int status = 0;
  if (!complete) {
    // A child stuck in a request the daemon already took cannot die before it is answered;
    // it is left to be reaped by init once this process is gone.
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, WNOHANG);
    answer.timed_out = true;
    return answer;
  }
  ::waitpid(child, &status, 0);
  if (reply.size() < sizeof(int) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    answer.error = EIO;
    return answer;
  }
  std::memcpy(&answer.error, reply.data(), sizeof(int));
  if (answer.error == 0) answer.value = reply.substr(sizeof(int));
  return answer;
}

}  // namespace imgmount
