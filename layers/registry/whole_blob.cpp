#include "layers/registry/whole_blob.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/base/section_file.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

// An unnamed temporary file in $TMPDIR (or /tmp); throws kIo if it cannot be made.
int UnnamedTempFile() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) ThrowSystemError("a temporary file in " + dir);
  return fd;
}

}  // namespace

SourcePtr DownloadWholeBlob(const RegistryClient& client, const std::string& digest, uint64_t size,
                            const std::string& path) {
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) == size) {
    // Verified when it was written; its bytes are checked by the span checks when read.
    return FileSource::Open(path);
  }
  static std::atomic<uint64_t> serial{0};
  std::string temp = path.empty() ? ""
                                  : path + ".tmp." + std::to_string(::getpid()) + "." +
                                        std::to_string(serial.fetch_add(1));
  int fd = temp.empty() ? UnnamedTempFile()
                        : ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) ThrowSystemError(temp);
  auto discard = [&] {
    ::close(fd);
    if (!temp.empty()) ::unlink(temp.c_str());
  };
  Hasher hasher(AlgorithmOf(digest));
  uint64_t written = 0;
  bool write_failed = false;
  bool too_long = false;
  try {
    client.StreamBlob(digest, 0, [&](std::string_view bytes) {
      too_long = written + bytes.size() > size;
      if (too_long || !WriteAll(fd, std::as_bytes(std::span(bytes.data(), bytes.size())))) {
        write_failed = !too_long;
        return false;
      }
      hasher.Update(std::as_bytes(std::span(bytes.data(), bytes.size())));
      written += bytes.size();
      return true;
    });
  } catch (const Error&) {
    if (!write_failed && !too_long) {
      discard();
      throw;
    }
  }
  std::string what = client.reference().given + ": blob " + digest;
  if (write_failed) {
    int saved = errno;
    discard();
    throw Error(ErrorKind::kIo, saved, what + ": cannot write its local copy " + temp);
  }
  std::string actual = hasher.Finish();
  if (too_long || written != size || actual != digest) {
    discard();
    throw Error(ErrorKind::kIntegrity, EIO,
                what + ": the registry ignores Range requests, and the whole blob it sent (" +
                    std::to_string(written) + " bytes) has digest " + actual + ", not " + digest +
                    " (" + std::to_string(size) + " bytes)");
  }
  if (!temp.empty() && ::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    discard();
    throw Error(ErrorKind::kIo, saved, what + ": cannot rename its local copy to " + path);
  }
  auto source = FileSource::FromFd(fd, path.empty() ? what : path);
  return source;
}

}  // namespace imgmount
