// `imgmount IMAGE MOUNTPOINT`. Without -f the work happens in a child process that reads the
// manifests and mounts the image, then tells the waiting parent it is mounted (or the error)
// through a pipe and goes on serving in the background while its layers are indexed. The parent
// returns once the mount is usable; on a terminal, or with --wait, it first follows the indexing
// until it ends or a layer fails (then it exits with that layer's error; --wait also unmounts).
// Whatever fails once nobody listens any more goes to syslog (fs/daemon_log.h), and `imgmount
// status` asks the mount itself.
#include "tools/mount_command.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "fs/daemon_log.h"
#include "fs/fuse_adapter.h"
#include "fs/mount_session.h"
#include "index/view/layer_loading.h"
#include "layers/base/error.h"
#include "tools/cli_common.h"
#include "tools/index_progress.h"
#include "tools/mount_report.h"
#include "tools/mount_table.h"
#include "tools/progress_line.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

// The image as the mount was asked for: `file` made absolute, and ":NAME" if one was chosen.
std::string ImageName(const std::string& file, const ImageArgs& args) {
  const std::string& name = args.view.selector.name;
  return AbsolutePath(file) + (name.empty() ? "" : ":" + name);
}

// Names the image of `args` in the mount options: the status document's image, and the source
// /proc/mounts shows (with ",upto=N").
void NameTheMount(const std::string& file, MountArgs& args) {
  args.mount.image_name = ImageName(file, args.image);
  args.mount.fsname =
      EscapeFuseOptionValue(MountSource(args.mount.image_name, args.image.view.upto));
}

// Mounts `image` with its layer labels and raises the mount's read-ahead to kReadaheadKib (cold
// sequential reads of a gzip layer ~10% faster here; only root may, others keep 128 KiB).
std::unique_ptr<MountSession> StartSession(const std::shared_ptr<LazyImage>& image,
                                           MountArgs& args) {
  args.mount.layer_labels = LayerLabels(*image);
  auto session = std::make_unique<MountSession>(image, args.mount);
  RaiseReadahead(args.mount.mountpoint, kReadaheadKib);
  return session;
}

// Writes all of `message` to the pipe, one message at a time (the indexing threads send warnings
// while the reporter sends progress); false once the reader is gone.
bool Send(int fd, const std::string& message) {
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  size_t done = 0;
  while (done < message.size()) {
    ssize_t n = ::write(fd, message.data() + done, message.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
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

// The kIndexingFailed report of the first failure of `image`.
std::string FirstFailureReport(const LazyImage& image) {
  try {
    image.FirstFailure()->Throw();
  } catch (const std::exception& e) {
    return EncodeReport(MountReport::kIndexingFailed, FailureText(e));
  }
}

// Follows the indexing of `image` in the mount process until it ends. Progress reports go to
// `fd` while the command that started the mount reads them, and then kIndexed (the tree is
// built) or, as soon as anything failed, kIndexingFailed. Every failure is also logged to syslog,
// naming the mountpoint and the image (`where`), since nobody may be watching any more.
void WatchIndexing(const LazyImage& image, int fd, const std::string& where) {
  bool listening = true;
  FailureTracker failures;
  while (true) {
    bool finished = image.WaitFinished(0.25);
    // The failure first: a layer's is then in the progress taken after it.
    std::optional<CapturedError> failure = image.FirstFailure();
    std::vector<LayerProgress> progress = image.Progress();
    for (const std::string& error : failures.NewFailures(progress)) {
      LogDaemon(LogLevel::kError,
                where + ": " + error + "; paths that need this layer fail with EIO");
    }
    if (listening) {
      listening = Send(fd, EncodeReport(MountReport::kProgress, EncodeProgress(progress)));
    }
    if (failure && !failures.Seen(failure->message())) {
      LogDaemon(LogLevel::kError, where + ": " + failure->message());  // not a layer's: the tree's
    }
    if (listening && (failure || finished)) {
      Send(fd, failure ? FirstFailureReport(image) : EncodeReport(MountReport::kIndexed));
      listening = false;
      ::close(fd);
    }
    if (finished) break;
  }
  if (listening) ::close(fd);
}

// Opens the image and mounts it; warnings and notes go to `fd` as reports (kWarning, kNote), and
// warnings to syslog once nobody reads them.
std::unique_ptr<MountSession> OpenAndMount(MountArgs& args, int fd,
                                           std::shared_ptr<LazyImage>& image) {
  std::string file = PrepareImageArgs(args.image);
  NameTheMount(file, args);
  if (args.image.view.warn) {
    std::string where = args.mount.mountpoint + " (" + args.mount.image_name + ")";
    args.image.view.warn = [fd, where](const std::string& m) {
      if (!Send(fd, EncodeReport(MountReport::kWarning, m)))
        LogDaemon(LogLevel::kWarning, where + ": " + m);
    };
  }
  if (args.image.view.info) {
    args.image.view.info = [fd](const std::string& m) {
      Send(fd, EncodeReport(MountReport::kNote, m));
    };
  }
  image = LazyImage::Open(file, args.image.view);
  auto session = StartSession(image, args);
  std::string labels;  // short ones, so that each layer's progress fits on a line
  for (uint32_t k = 0; k < image->layer_count(); ++k) {
    labels += (k == 0 ? "" : "\t") + LayerName(k, image->image().layers[k]);
  }
  Send(fd, EncodeReport(MountReport::kLayerLabels, labels));
  return session;
}

// Ends the serving process with `result`. Once the indexing has ended, its threads and the
// progress `watcher` are joined first (an orderly end the thread sanitizer can check); a layer
// still being indexed is not waited for.
[[noreturn]] void ExitAfterServing(int result, std::shared_ptr<LazyImage>& image,
                                   std::thread& watcher) {
  std::fflush(nullptr);
  if (image->Finished()) {
    watcher.join();
    image.reset();
  } else {
    watcher.detach();
  }
  ::_exit(result);
}

// The mount process: mounts, says kMounted (or why not) through `report_fd`, and serves. The layers
// go on being indexed in the background, their progress reported until the indexing ends.
[[noreturn]] void RunChild(MountArgs& args, int report_fd) {
  ::setsid();
  ::signal(SIGPIPE, SIG_IGN);
  OpenDaemonLog();
  std::shared_ptr<LazyImage> image;
  std::unique_ptr<MountSession> session;
  try {
    session = OpenAndMount(args, report_fd, image);
  } catch (const std::exception& e) {
    Send(report_fd, EncodeReport(MountReport::kMountFailed, FailureText(e)));
    ::_exit(1);
  }
  Send(report_fd, EncodeReport(MountReport::kMounted));
  Detach();
  std::string where = args.mount.mountpoint + " (" + args.mount.image_name + ")";
  std::thread reporter([image, report_fd, where] { WatchIndexing(*image, report_fd, where); });
  int result = session->Serve();
  session.reset();
  ExitAfterServing(result, image, reporter);
}

volatile std::sig_atomic_t interrupted = 0;

void OnInterrupt(int) {
  interrupted = 1;
}

// Splits the child's reports into lines.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  /// The next line without its newline; nullopt at the end or when interrupted by a signal.
  std::optional<std::string> Next() {
    while (true) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[4096];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR && !interrupted) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// Prints "imgmount: MESSAGE" of a failure report's text and returns its exit code.
int ReportFailure(const std::string& text) {
  ReceivedFailure failure = DecodeFailureText(text);
  std::fprintf(stderr, "imgmount: %s\n", failure.message.c_str());
  return failure.exit_code;
}

std::string ChildEnd(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                             : "exited with status " + std::to_string(WEXITSTATUS(status));
}

// Follows the mount process's reports: returns once the mount is live, or, when `watch`, once
// the indexing is over (showing progress on a terminal); Ctrl-C stops watching only.
int WaitForChild(pid_t child, int report_fd, const MountArgs& args, bool watch) {
  LineReader reader(report_fd);
  bool mounted = false;
  bool terminal = !args.image.quiet && ::isatty(STDERR_FILENO);
  std::vector<std::string> labels;
  std::unique_ptr<ProgressDisplay> display;
  while (std::optional<std::string> line = reader.Next()) {
    std::optional<ReceivedReport> report = DecodeReport(*line);
    if (!report) continue;
    const std::string& text = report->text;
    switch (report->kind) {
      case MountReport::kWarning:
        PrintWarning(text);
        if (display) display->Restart();
        break;
      case MountReport::kNote:
        PrintNote(text);
        if (display) display->Restart();
        break;
      case MountReport::kLayerLabels:
        labels.clear();
        for (size_t at = 0; at <= text.size();) {
          size_t tab = std::min(text.find('\t', at), text.size());
          labels.push_back(text.substr(at, tab - at));
          at = tab + 1;
        }
        break;
      case MountReport::kMountFailed:
        ::close(report_fd);
        ChildEnd(child);
        return ReportFailure(text);
      case MountReport::kMounted:
        mounted = true;
        if (!watch) {
          ::close(report_fd);
          return 0;
        }
        if (terminal) {
          std::string header = "imgmount: mounted on " + args.mount.mountpoint +
                               "; indexing (Ctrl-C stops watching, the mount stays)";
          std::fprintf(stderr, "%s\n", CutToWidth(header, TerminalWidth(stderr)).c_str());
          display = std::make_unique<ProgressDisplay>(stderr, labels);
        }
        break;
      case MountReport::kProgress:
        if (display) {
          if (auto progress = DecodeProgress(text)) display->Show(*progress);
        }
        break;
      case MountReport::kIndexed:
        ::close(report_fd);
        return 0;
      case MountReport::kIndexingFailed: {
        ::close(report_fd);
        int code = ReportFailure(text);
        if (args.wait) {
          try {
            Unmount(args.mount.mountpoint, false);
          } catch (const Error&) {
            Unmount(args.mount.mountpoint, true);  // in use: detach it all the same
          }
        } else {
          std::fprintf(stderr,
                       "imgmount: %s stays mounted; paths that need that layer fail with EIO "
                       "(`imgmount status %s` tells how the other layers do)\n",
                       args.mount.mountpoint.c_str(), args.mount.mountpoint.c_str());
        }
        return code;
      }
    }
  }
  ::close(report_fd);
  if (mounted && interrupted) {
    std::fprintf(stderr, "imgmount: stopped watching; the indexing goes on in the background\n");
    return 0;
  }
  if (mounted) {
    std::fprintf(stderr, "imgmount: the mount process ended before the indexing did (%s)\n",
                 ChildEnd(child).c_str());
    return ExitCodeFor(ErrorKind::kInternal);
  }
  std::fprintf(stderr, "imgmount: the mount process died before the mount was ready (%s)\n",
               ChildEnd(child).c_str());
  return ExitCodeFor(ErrorKind::kInternal);
}

// -f: mounts and serves in this process, showing progress on a terminal.
int RunForeground(MountArgs& args) {
  std::string file = PrepareImageArgs(args.image);
  NameTheMount(file, args);
  std::shared_ptr<LazyImage> image = LazyImage::Open(file, args.image.view);
  auto session = StartSession(image, args);
  if (args.wait) {
    image->WaitTree();  // throws the layer's error; the session's end unmounts
  }
  std::vector<std::string> labels;
  for (uint32_t k = 0; k < image->layer_count(); ++k) {
    labels.push_back(LayerName(k, image->image().layers[k]));
  }
  std::thread watcher([image, labels = std::move(labels), quiet = args.image.quiet]() mutable {
    bool terminal = !quiet && ::isatty(STDERR_FILENO);
    ProgressDisplay display(stderr, std::move(labels));
    FailureTracker failures;
    bool finished = false;
    while (!finished) {
      finished = image->WaitFinished(0.25);
      std::vector<LayerProgress> progress = image->Progress();
      if (terminal) display.Show(progress);
      for (const std::string& error : failures.NewFailures(progress)) {
        PrintWarning(error + "; paths that need that layer fail with EIO");
        display.Restart();
      }
    }
    if (std::optional<CapturedError> failure = image->FirstFailure()) {
      if (!failures.Seen(failure->message())) PrintWarning(failure->message());
    }
  });
  int result = session->Serve();
  session.reset();
  ExitAfterServing(result, image, watcher);
}

}  // namespace

int Mount(MountArgs& parsed) {
  parsed.mount.mountpoint = CheckMountpoint(parsed.mount.mountpoint);
  CheckFuseUsable();
  if (parsed.foreground) return RunForeground(parsed);
  bool watch = parsed.wait || (!parsed.image.quiet && ::isatty(STDERR_FILENO));
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
  if (watch) {
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    ::sigaction(SIGINT, &action, nullptr);  // no SA_RESTART: the read returns
  }
  return WaitForChild(pid, fds[0], parsed, watch);
}

}  // namespace imgmount
