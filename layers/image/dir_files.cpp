// ImageFiles over an OCI layout directory: every open resolves beneath the directory (openat2
// RESOLVE_BENEATH), so no symlink or ".." in the layout can reach outside it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layers/base/error.h"
#include "layers/image/containerd_files.h"
#include "layers/image/image_files.h"
#include "layers/image/registry_files.h"
#include "layers/image/tar_files.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

class DirFiles final : public ImageFiles {
 public:
  DirFiles(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  ~DirFiles() override { ::close(dir_fd_); }

  SourcePtr Open(const std::string& path) const override {
    struct open_how how {};
    how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir_fd_, path.c_str(), &how, sizeof how);
    if (fd < 0) {
      std::string where = name_ + "/" + path;
      if (errno == EXDEV) {
        ThrowBadImage(where + ": resolves outside the image directory");
      }
      ThrowSystemError("open " + where);
    }
    return FileSource::FromFd(static_cast<int>(fd), name_ + "/" + path);
  }

  bool Exists(const std::string& path) const override {
    try {
      Open(path);
      return true;
    } catch (const Error&) {
      return false;
    }
  }

  const std::string& name() const override { return name_; }
  std::string Kind() const override { return "directory"; }

 private:
  int dir_fd_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ImageFiles> OpenImageFiles(const std::string& path, const RegistryAccess& access,
                                           const ContainerdAccess& containerd) {
  if (IsContainerdReference(path)) return OpenContainerdFiles(path, containerd);
  if (auto reference = RegistryReferenceOf(path)) return OpenRegistryFiles(*reference, access);
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) ThrowSystemError(path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    ThrowSystemError("stat " + path);
  }
  if (S_ISDIR(st.st_mode)) return std::make_unique<DirFiles>(fd, path);
  return OpenTarFiles(FileSource::FromFd(fd, path), path);
}

}  // namespace imgmount
