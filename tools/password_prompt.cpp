#include "tools/password_prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "layers/base/error.h"

namespace imgmount {
namespace {

constexpr size_t kMaxPasswordBytes = 4096;

// Writes all of `text` to `fd`, ignoring failures (the prompt is a courtesy).
void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Reads one line from `fd` (without its newline); false at end of input before a newline.
bool ReadLine(int fd, std::string& line) {
  char c = 0;
  while (line.size() <= kMaxPasswordBytes) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n' || c == '\r') return true;
    line.push_back(c);
  }
  return false;
}

// Echo off on the terminal `fd` for as long as it lives; restored even when reading throws.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    active_ = ::tcgetattr(fd_, &saved_) == 0;
    if (!active_) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSADRAIN, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

std::string CompleteCreds(const std::string& creds) {
  if (creds.find(':') != std::string::npos) return creds;
  if (creds.empty()) {
    throw Error(ErrorKind::kUsage, EINVAL,
                "--creds wants USER:PASSWORD, or USER to be asked the password");
  }
  int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) {
    throw Error(ErrorKind::kUsage, ENXIO,
                "--creds " + creds +
                    " has no password and there is no terminal to ask it on: give "
                    "USER:PASSWORD, --authfile or an auth file");
  }
  std::string password;
  bool complete = false;
  {
    EchoOff quiet(tty);
    WriteAll(tty, "Password for " + creds + ": ");
    complete = ReadLine(tty, password);
  }
  ::close(tty);
  if (!complete) {
    throw Error(ErrorKind::kUsage, EINVAL, "--creds " + creds + ": no password was entered");
  }
  return creds + ":" + password;
}

}  // namespace imgmount
