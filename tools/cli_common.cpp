#include "tools/cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "index/cache/cache_dir.h"
#include "index/view/lazy_image.h"
#include "layers/base/error.h"
#include "layers/image/containerd_files.h"
#include "tools/password_prompt.h"
#include "tools/verb_progress.h"

namespace imgmount {

ImageArgument SplitImageArgument(const std::string& argument) {
  // A registry reference carries its tag itself (and "docker" is no archive of it).
  if (argument.starts_with("docker://") || IsContainerdReference(argument)) return {argument, ""};
  struct stat st {};
  if (::stat(argument.c_str(), &st) == 0) return {argument, ""};
  // "x.tar:app:2" names image "app:2" of x.tar: the file is the shortest existing prefix.
  for (size_t colon = argument.find(':'); colon != std::string::npos;
       colon = argument.find(':', colon + 1)) {
    std::string file = argument.substr(0, colon);
    if (colon > 0 && ::stat(file.c_str(), &st) == 0) return {file, argument.substr(colon + 1)};
  }
  return {argument, ""};
}

void ApplyImageOption(const std::string& name, const std::string& value, ImageArgs& out) {
  if (name == "--platform") {
    out.view.selector.platform = Platform::Parse(value);
  } else if (name == "--image") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--image needs a value");
    out.view.selector.name = value;
  } else if (name == "--upto") {
    size_t used = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || n == 0 || value[0] == '-') {
      throw Error(ErrorKind::kUsage, EINVAL,
                  "--upto wants a layer number >= 1, not \"" + value + "\"");
    }
    out.view.upto = n;
  } else if (name == "-q") {
    out.quiet = true;
  } else if (name == "--cache-dir") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--cache-dir needs a value");
    out.cache_dir = value;
  } else if (name == "--no-cache") {
    out.no_cache = true;
  } else if (name == "-v") {
    out.verbose = true;
  } else if (name == "--tls-verify") {
    if (value == "true" || value.empty()) {
      out.view.registry.tls_verify = true;
    } else if (value == "false") {
      out.view.registry.tls_verify = false;
    } else {
      throw Error(ErrorKind::kUsage, EINVAL,
                  "--tls-verify wants true or false, not \"" + value + "\"");
    }
  } else if (name == "--cert-dir") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--cert-dir needs a value");
    out.view.registry.cert_dir = value;
  } else if (name == "--authfile") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--authfile needs a value");
    out.view.registry.auth_file = value;
  } else if (name == "--creds") {
    // A bare USER gets its password asked on the terminal; the value is checked (never echoed)
    // when a registry is first spoken to: auth_file.h's ParseCreds.
    out.view.registry.creds = CompleteCreds(value);
  } else if (name == "--namespace") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--namespace needs a value");
    out.view.containerd.ns = value;
  } else if (name == "--containerd-root") {
    if (value.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--containerd-root needs a value");
    out.view.containerd.root = value;
    char cwd[4096];
    if (value[0] != '/' && ::getcwd(cwd, sizeof cwd) != nullptr) {
      out.view.containerd.root = std::string(cwd) + "/" + value;
    }
  } else {
    throw Error(ErrorKind::kInternal, EINVAL, "no image option " + name);
  }
}

void PrintWarning(const std::string& message) {
  WriteStderrLine("imgmount: warning: " + message);
}

void PrintNote(const std::string& message) {
  WriteStderrLine("imgmount: " + message);
}

std::string CacheDirFromArgs(const ImageArgs& args) {
  if (args.no_cache) return "";
  if (args.cache_dir.empty()) return DefaultCacheDir();
  if (args.cache_dir[0] == '/') return args.cache_dir;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) ThrowSystemError("getcwd");
  return std::string(cwd) + "/" + args.cache_dir;
}

std::string ChooseImage(ImageArgs& args) {
  auto [file, tag] = SplitImageArgument(args.image);
  if (!tag.empty()) {
    if (!args.view.selector.name.empty()) {
      throw Error(ErrorKind::kUsage, EINVAL,
                  args.image + ": give the image either as IMAGE:TAG or with --image, not both");
    }
    args.view.selector.name = tag;
  }
  return file;
}

std::string PrepareImageArgs(ImageArgs& args) {
  std::string file = ChooseImage(args);
  if (!args.quiet) args.view.warn = PrintWarning;
  if (args.verbose) args.view.info = PrintNote;
  args.view.cache_dir = CacheDirFromArgs(args);
  args.view.registry.cache_dir = args.view.cache_dir;
  return file;
}

ImageView OpenImageFromArgs(ImageArgs& args) {
  std::string file = PrepareImageArgs(args);
  std::shared_ptr<LazyImage> image = LazyImage::Open(file, args.view);
  WatchIndexing(*image, !args.quiet && ::isatty(STDERR_FILENO));
  return ViewOf(*image);
}

OpenedContainer OpenContainerFromArgs(ImageArgs& args) {
  std::string file = PrepareImageArgs(args);
  return OpenContainerOnly(file, args.view);
}

ImageHeader OpenImageHeaderFromArgs(ImageArgs& args) {
  OpenedContainer container = OpenContainerFromArgs(args);
  return ReadImageHeader(std::move(container), args.view);
}

void DieOfClosedPipes() {
  // An ignored SIGPIPE is inherited through exec: the writes would fail with EPIPE instead, and
  // each verb would end its own way (a "Broken pipe" message, or silently with status 0).
  ::signal(SIGPIPE, SIG_DFL);
}

int RunReportingErrors(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "imgmount: %s\n", e.what());
    return ExitCodeFor(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "imgmount: out of memory\n");
    return ExitCodeFor(ErrorKind::kInternal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imgmount: internal error: %s\n", e.what());
    return ExitCodeFor(ErrorKind::kInternal);
  }
}

void UsageError(const std::string& command, const std::string& message) {
  std::string help = command.empty() ? "imgmount --help" : "imgmount " + command + " --help";
  throw Error(ErrorKind::kUsage, EINVAL, message + " (see " + help + ")");
}

}  // namespace imgmount
