#include "layers/source/scratch_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "layers/base/error.h"

namespace imgmount {

std::shared_ptr<ScratchFile> ScratchFile::Create(const std::string& dir, std::string name) {
  std::string where = dir;
  if (where.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    where = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  int fd = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string pattern = where + "/imgmount-copy-XXXXXX";
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(pattern.c_str());
  }
  if (fd < 0) ThrowSystemError("create a local copy in " + where);
  return std::shared_ptr<ScratchFile>(new ScratchFile(fd, std::move(name)));
}

ScratchFile::~ScratchFile() {
  ::close(fd_);
}

bool ScratchFile::LinkTo(const std::string& path) const {
  // An O_TMPFILE file without O_EXCL may be linked; an unlinked mkostemp file may not (ENOENT).
  std::string self = "/proc/self/fd/" + std::to_string(fd_);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

uint64_t ScratchFile::Append(std::span<const std::byte> bytes) {
  uint64_t start = size_.load(std::memory_order_relaxed);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(start + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("write " + name_);
    }
    done += static_cast<size_t>(n);
  }
  size_.store(start + done, std::memory_order_release);
  return start;
}

size_t ScratchFile::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  uint64_t size = Size();
  if (offset >= size) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(dst.size(), size - offset));
  size_t done = 0;
  while (done < want) {
    ssize_t n = ::pread(fd_, dst.data() + done, want - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowSystemError("read " + name_);
    }
    if (n == 0) throw Error(ErrorKind::kIo, EIO, name_ + ": local copy shrank");
    done += static_cast<size_t>(n);
  }
  return done;
}

void ScratchFile::WillNeed(uint64_t offset, uint64_t length) const {
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
}

}  // namespace imgmount
