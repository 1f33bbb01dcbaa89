#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/mount_table.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kUnmountHelp =
    "usage: imgmount -u [-z] MOUNTPOINT\n"
    "Unmount an image mounted by imgmount; the daemon then exits.\n"
    "  -z   lazy: detach now even if files are open, finish when they are closed\n";

// Runs fusermount3 for users who may not call umount2 themselves.
void RunFusermount(const std::string& mountpoint, bool lazy) {
  pid_t pid = ::fork();
  if (pid < 0) ThrowSystemError("fork");
  if (pid == 0) {
    if (lazy) {
      ::execlp("fusermount3", "fusermount3", "-u", "-z", "--", mountpoint.c_str(), nullptr);
    } else {
      ::execlp("fusermount3", "fusermount3", "-u", "--", mountpoint.c_str(), nullptr);
    }
    std::perror("imgmount: cannot run fusermount3");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(ErrorKind::kMount, EBUSY, "cannot unmount " + mountpoint);
  }
}

}  // namespace

int RunUnmount(const std::vector<std::string>& args) {
  bool lazy = false;
  std::string mountpoint;
  for (const auto& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUnmountHelp;
      return 0;
    }
    if (arg == "-z" || arg == "--lazy") {
      lazy = true;
    } else if (arg.starts_with("-")) {
      UsageError("", "unknown option " + arg + " for -u");
    } else if (mountpoint.empty()) {
      mountpoint = arg;
    } else {
      UsageError("", "-u takes one MOUNTPOINT");
    }
  }
  if (mountpoint.empty()) UsageError("", "-u needs a MOUNTPOINT");
  char resolved[PATH_MAX];
  std::string absolute = ::realpath(mountpoint.c_str(), resolved) ? resolved : mountpoint;
  auto type = MountedTypeAt(absolute);
  if (!type) throw Error(ErrorKind::kMount, EINVAL, mountpoint + " is not mounted");
  if (*type != "fuse.imgmount") {
    throw Error(ErrorKind::kMount, EINVAL,
                mountpoint + " is a " + *type + " mount, not one of imgmount's");
  }
  if (::geteuid() == 0) {
    if (::umount2(absolute.c_str(), lazy ? MNT_DETACH : 0) != 0) {
      int e = errno;
      throw Error(ErrorKind::kMount, e,
                  "cannot unmount " + mountpoint + ": " + std::strerror(e) +
                      (e == EBUSY ? " (files are open; close them or use -u -z)" : ""));
    }
    return 0;
  }
  RunFusermount(absolute, lazy);
  return 0;
}

}  // namespace imgmount
