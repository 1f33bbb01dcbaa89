#include "tools/cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "index/cache/cache_dir.h"
#include "layers/base/error.h"

namespace imgmount {

ImageArgument SplitImageArgument(const std::string& argument) {
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

bool TakeImageOption(const std::vector<std::string>& args, size_t& i, ImageArgs& out) {
  const std::string& arg = args[i];
  auto value = [&](const char* name) -> std::string {
    if (i + 1 >= args.size()) {
      throw Error(ErrorKind::kUsage, EINVAL, std::string(name) + " needs a value");
    }
    return args[++i];
  };
  if (arg == "--platform") {
    out.view.selector.platform = Platform::Parse(value("--platform"));
  } else if (arg.starts_with("--platform=")) {
    out.view.selector.platform = Platform::Parse(arg.substr(11));
  } else if (arg == "--image") {
    out.view.selector.name = value("--image");
  } else if (arg.starts_with("--image=")) {
    out.view.selector.name = arg.substr(8);
  } else if (arg == "--upto" || arg.starts_with("--upto=")) {
    std::string text = arg == "--upto" ? value("--upto") : arg.substr(7);
    size_t used = 0;
    unsigned long n = 0;
    try {
      n = std::stoul(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || n == 0) {
      throw Error(ErrorKind::kUsage, EINVAL,
                  "--upto wants a layer number >= 1, not \"" + text + "\"");
    }
    out.view.upto = n;
  } else if (arg == "-q" || arg == "--quiet") {
    out.quiet = true;
  } else if (arg == "--cache-dir" || arg.starts_with("--cache-dir=")) {
    out.cache_dir = arg == "--cache-dir" ? value("--cache-dir") : arg.substr(12);
    if (out.cache_dir.empty()) throw Error(ErrorKind::kUsage, EINVAL, "--cache-dir needs a value");
  } else if (arg == "--no-cache") {
    out.no_cache = true;
  } else if (arg == "-v" || arg == "--verbose") {
    out.verbose = true;
  } else {
    return false;
  }
  return true;
}

bool AsksForHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& arg) { return arg == "-h" || arg == "--help"; });
}

const char* ImageOptionsHelp() {
  return "  --platform OS/ARCH[/VARIANT]  platform of a multi-platform image (default: this "
         "machine's)\n"
         "  --image NAME[:TAG]            image of an archive holding several (or IMAGE:TAG)\n"
         "  --upto N                      the image as it stood after layer N\n"
         "  -q, --quiet                   no warnings\n"
         "  --cache-dir DIR               index cache (default $XDG_CACHE_HOME/imgmount, else\n"
         "                                ~/.cache/imgmount); see imgmount cache --help\n"
         "  --no-cache                    neither read nor write the index cache\n"
         "  -v, --verbose                 say whether each layer's index came from the cache\n";
}

void PrintWarning(const std::string& message) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "imgmount: warning: %s\n", message.c_str());
}

void PrintNote(const std::string& message) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "imgmount: %s\n", message.c_str());
}

std::string CacheDirFromArgs(const ImageArgs& args) {
  if (args.no_cache) return "";
  if (args.cache_dir.empty()) return DefaultCacheDir();
  if (args.cache_dir[0] == '/') return args.cache_dir;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) ThrowSystemError("getcwd");
  return std::string(cwd) + "/" + args.cache_dir;
}

std::string PrepareImageArgs(ImageArgs& args) {
  auto [file, tag] = SplitImageArgument(args.image);
  if (!tag.empty()) {
    if (!args.view.selector.name.empty()) {
      throw Error(ErrorKind::kUsage, EINVAL, "give the image either as IMAGE:TAG or with --image");
    }
    args.view.selector.name = tag;
  }
  if (!args.quiet) args.view.warn = PrintWarning;
  if (args.verbose) args.view.info = PrintNote;
  args.view.cache_dir = CacheDirFromArgs(args);
  return file;
}

ImageView OpenImageFromArgs(ImageArgs& args) {
  std::string file = PrepareImageArgs(args);
  return OpenImageView(file, args.view);
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
