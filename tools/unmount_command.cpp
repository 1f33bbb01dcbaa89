// `imgmount -u [-z] MOUNTPOINT`: unmounts an imgmount mount (umount2 as root, else fusermount3).
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/mount_table.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

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

void Unmount(const std::string& mountpoint, bool lazy) {
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
    return;
  }
  RunFusermount(absolute, lazy);
}

void AddUnmountCommand(CommandLine& cli) {
  struct Args {
    std::string mountpoint;
    bool lazy = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* unmount = cli.AddVerb({"unmount",
                                   "unmount an image mounted by imgmount; the daemon then exits",
                                   {{"imgmount -u [-z] MOUNTPOINT"}, "", GlobalUse::kNone}},
                                  [args] {
                                    Unmount(args->mountpoint, args->lazy);
                                    return 0;
                                  });
  unmount->group("");  // spelled -u (the command line rewrites it), like umount(8)
  unmount->add_flag("-z,--lazy", args->lazy,
                    "lazy: detach now even if files are open, finish when they are closed");
  unmount->add_option("MOUNTPOINT", args->mountpoint, "the mountpoint")->required();
}

}  // namespace imgmount
