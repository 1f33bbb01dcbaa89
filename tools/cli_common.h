// What every imgmount command shares: the image-choosing options, opening the engine, warnings
// and the mapping of errors to exit codes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "index/image_view.h"

namespace imgmount {

/// The image argument and the options that choose and shape the view.
struct ImageArgs {
  std::string image;
  ViewOptions view;
  bool quiet = false;
};

/// Consumes argv[i] (and its value) if it is --platform, --image, --upto or -q/--quiet;
/// returns false if it is none of them. Throws kUsage on a bad value.
bool TakeImageOption(const std::vector<std::string>& args, size_t& i, ImageArgs& out);

/// Help text for the options TakeImageOption understands.
const char* ImageOptionsHelp();

/// Opens the image named by `args` (IMAGE:TAG splitting included), warnings to stderr.
ImageView OpenImageFromArgs(ImageArgs& args);

/// Prints "imgmount: warning: ..." to stderr (thread-safe).
void PrintWarning(const std::string& message);

/// Runs a command body, printing any error as "imgmount: ..." and returning its exit code.
int RunReportingErrors(const std::function<int()>& body);

/// Throws a kUsage error whose message ends with a pointer to --help for `command`.
[[noreturn]] void UsageError(const std::string& command, const std::string& message);

}  // namespace imgmount
