// `imgmount IMAGE MOUNTPOINT`. Without -f the work happens in a child process that indexes the
// image and mounts it, then tells the waiting parent "ready" (or the error) through a pipe and
// goes on serving in the background; the parent returns only once the mount is usable.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include "fs/mount_session.h"
#include "layers/error.h"
#include "tools/cli_common.h"
#include "tools/mount_table.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kMountHelp =
    "usage: imgmount [OPTIONS] IMAGE[:TAG] MOUNTPOINT\n"
    "       imgmount -u [-z] MOUNTPOINT\n"
    "       imgmount COMMAND --help      (commands: ls, cat)\n"
    "Mount a container image read-only as the root filesystem a container started from it\n"
    "would see. IMAGE is a docker save tar, a docker-archive, an OCI layout directory or an\n"
    "OCI archive; layers may be uncompressed, gzip or zstd. Returns once the mount is usable\n"
    "and serves it in the background.\n"
    "  -f              stay in the foreground\n"
    "  -d              foreground with FUSE debug output\n"
    "  -o OPT[,OPT]    FUSE mount options (allow_other, allow_root, ...) and imgmount's:\n"
    "                  cache_mb=N  memory for decoded spans of compressed layers (default 64)\n"
    "  -u [-z] MNT     unmount (-z: lazily)\n"
    "  -V, --version   print the version\n";

struct MountArgs {
  ImageArgs image;
  MountOptions mount;
  bool foreground = false;
};

uint64_t ParseCacheMegabytes(const std::string& text) {
  size_t used = 0;
  unsigned long long mb = 0;
  try {
    mb = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || mb == 0 || mb > (1u << 20)) {
    UsageError("", "cache_mb wants a size in MiB between 1 and 1048576, not \"" + text + "\"");
  }
  return mb;
}

MountArgs Parse(const std::vector<std::string>& args) {
  MountArgs out;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (TakeImageOption(args, i, out.image)) continue;
    if (arg == "-f" || arg == "--foreground") {
      out.foreground = true;
    } else if (arg == "-d" || arg == "--debug") {
      out.foreground = true;
      out.mount.debug = true;
    } else if (arg == "-o" || (arg.starts_with("-o") && arg.size() > 2)) {
      std::string list = arg == "-o" ? (i + 1 < args.size() ? args[++i] : "") : arg.substr(2);
      if (list.empty()) UsageError("", "-o needs options");
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        std::string option = list.substr(start, comma - start);
        if (option.starts_with("cache_mb=")) {
          out.image.view.decode.cache_bytes = ParseCacheMegabytes(option.substr(9)) << 20;
        } else if (!option.empty() && option != "ro") {
          out.mount.fuse_options.push_back(option);
        }
        start = comma + 1;
      }
    } else if (arg.starts_with("-") && arg != "-") {
      UsageError("", "unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) UsageError("", "expected IMAGE MOUNTPOINT");
  out.image.image = positional[0];
  out.mount.mountpoint = positional[1];
  return out;
}

// "layer N (sha256:..)" for every layer position of the view.
std::vector<std::string> LayerLabels(const ImageView& view) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < view.layers.size(); ++i) {
    const LayerBlob& blob = view.image.layers[i];
    std::string id = blob.digest.empty() ? blob.diff_id : blob.digest;
    labels.push_back("layer " + std::to_string(i + 1) + " (" + id + ")");
  }
  return labels;
}

// Tells the parent how the child fared: "OK" or "E<exit code> <message>".
void Report(int fd, const std::string& message) {
  size_t done = 0;
  while (done < message.size()) {
    ssize_t n = ::write(fd, message.data() + done, message.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void Detach() {
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) ::close(null);
  }
  if (::chdir("/") != 0) return;
}

[[noreturn]] void RunChild(MountArgs& args, int report_fd) {
  ::setsid();
  std::unique_ptr<MountSession> session;
  try {
    ImageView view = OpenImageFromArgs(args.image);
    args.mount.layer_labels = LayerLabels(view);
    session = std::make_unique<MountSession>(view.tree, args.mount);
  } catch (const Error& e) {
    Report(report_fd, "E" + std::to_string(ExitCodeFor(e.kind())) + " " + e.what());
    ::_exit(1);
  } catch (const std::exception& e) {
    Report(report_fd, "E" + std::to_string(ExitCodeFor(ErrorKind::kInternal)) +
                          " internal error: " + e.what());
    ::_exit(1);
  }
  Report(report_fd, "OK");
  ::close(report_fd);
  Detach();
  int result = session->Serve();
  session.reset();
  ::_exit(result);
}

int WaitForChild(pid_t child, int report_fd) {
  std::string message;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(report_fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buffer, static_cast<size_t>(n));
  }
  ::close(report_fd);
  if (message == "OK") return 0;
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (message.size() > 1 && message[0] == 'E') {
    size_t space = message.find(' ');
    std::fprintf(stderr, "imgmount: %s\n", message.substr(space + 1).c_str());
    return std::atoi(message.substr(1, space - 1).c_str());
  }
  std::string why = WIFSIGNALED(status)
                        ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                        : "exited with status " + std::to_string(WEXITSTATUS(status));
  std::fprintf(stderr, "imgmount: the mount process died before the mount was ready (%s)\n",
               why.c_str());
  return ExitCodeFor(ErrorKind::kInternal);
}

}  // namespace

int RunMount(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kMountHelp << ImageOptionsHelp();
      return 0;
    }
  }
  MountArgs parsed = Parse(args);
  parsed.mount.mountpoint = CheckMountpoint(parsed.mount.mountpoint);
  CheckFuseUsable();
  parsed.mount.fsname = "imgmount:" + parsed.image.image;
  for (char& c : parsed.mount.fsname) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\\') c = '_';
  }
  if (parsed.foreground) {
    ImageView view = OpenImageFromArgs(parsed.image);
    parsed.mount.layer_labels = LayerLabels(view);
    MountSession session(view.tree, parsed.mount);
    return session.Serve();
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowSystemError("pipe");
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) ThrowSystemError("fork");
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(parsed, fds[1]);
  }
  ::close(fds[1]);
  return WaitForChild(pid, fds[0]);
}

}  // namespace imgmount
