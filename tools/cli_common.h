// What every imgmount command shares: the image-choosing options, opening the engine, warnings
// and the mapping of errors to exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "index/view/image_header.h"
#include "index/view/image_view.h"

namespace imgmount {

/// The image argument and the options that choose and shape the view.
struct ImageArgs {
  std::string image;
  ViewOptions view;
  bool quiet = false;
  /// --cache-dir: the index cache directory ("" = the default one).
  std::string cache_dir;
  /// --no-cache: keep indexes in memory only.
  bool no_cache = false;
  /// -v/--verbose: say where each layer's index came from.
  bool verbose = false;
};

/// An image argument split into the image file and the name of an image in it.
struct ImageArgument {
  /// The image file or directory.
  std::string file;
  /// The name or tag after the colon ("app:2" of "x.tar:app:2"); "" if none was given.
  std::string tag;
};

/// Splits "FILE:TAG" when FILE exists and the whole argument does not; the file is the shortest
/// existing prefix ending before a colon.
ImageArgument SplitImageArgument(const std::string& argument);

/// Sets the image option `name` (--platform, --image, --upto, -q, --cache-dir, --no-cache, -v;
/// as tools/command_line.h declares them) to `value` in `out`; throws kUsage on a bad value.
void ApplyImageOption(const std::string& name, const std::string& value, ImageArgs& out);

/// Splits args.image into the image file and the image in it: IMAGE:TAG or --image, never both
/// (kUsage). The one place that rule lives: every verb and the mount choose their image here.
std::string ChooseImage(ImageArgs& args);

/// Completes args.view from the other options (IMAGE:TAG splitting, warnings to stderr, the
/// cache directory) and returns the image file's path.
std::string PrepareImageArgs(ImageArgs& args);

/// Opens the image named by `args` (IMAGE:TAG splitting included), warnings to stderr.
ImageView OpenImageFromArgs(ImageArgs& args);

/// Opens the container of the image `args` name, reading no manifest yet.
OpenedContainer OpenContainerFromArgs(ImageArgs& args);

/// Reads the manifests and config of the image `args` name; reads no layer.
ImageHeader OpenImageHeaderFromArgs(ImageArgs& args);

/// Prints "imgmount: warning: ..." to stderr (thread-safe).
void PrintWarning(const std::string& message);

/// Prints "imgmount: ..." to stderr (thread-safe), for -v notes.
void PrintNote(const std::string& message);

/// The index cache directory `args` ask for: --cache-dir made absolute, else the default; "" with
/// --no-cache or when there is no home directory.
std::string CacheDirFromArgs(const ImageArgs& args);

/// Lets a write to a closed pipe end the process by SIGPIPE, as it ends coreutils (status 141
/// in a shell, no message), also when the parent left SIGPIPE ignored.
void DieOfClosedPipes();

/// Runs a command body, printing any error as "imgmount: ..." and returning its exit code.
int RunReportingErrors(const std::function<int()>& body);

/// Throws a kUsage error whose message ends with a pointer to --help for `command`.
[[noreturn]] void UsageError(const std::string& command, const std::string& message);

}  // namespace imgmount
