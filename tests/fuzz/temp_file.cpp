// TempFile: written to a sibling and renamed over, so a mapping of the old content is never
// changed under a reader.
#include "tests/fuzz/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/fuzz/fuzz_check.h"

namespace imgmount::fuzz {

TempFile::TempFile(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/" + stem + "-XXXXXX";
  int fd = mkstemp(pattern.data());
  if (fd < 0) FuzzBug("cannot create a temporary file " + pattern);
  close(fd);
  path_ = pattern;
}

TempFile::~TempFile() {
  unlink(path_.c_str());
}

void TempFile::Write(std::string_view bytes) {
  std::string next = path_ + ".new";
  int fd = open(next.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) FuzzBug("cannot write " + next);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) FuzzBug("cannot write " + next);
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (rename(next.c_str(), path_.c_str()) != 0) FuzzBug("cannot rename " + next);
}

}  // namespace imgmount::fuzz
