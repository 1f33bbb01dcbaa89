// How `imgmount --help` and `imgmount VERB --help` are laid out: the usage lines first, then what
// the command does, then its options and the global options it takes (CLI11 lays out each option).
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

namespace imgmount {

/// Which of the global options (tools/command_line.h) a verb takes.
enum class GlobalUse {
  kNone,      ///< none of them
  kCacheDir,  ///< --cache-dir only (imgmount cache)
  kImage,     ///< all of them: the verb reads an image
};

/// What a command says about itself in the help.
struct VerbHelp {
  /// Usage lines without "usage: ", e.g. "imgmount ls [-l] [OPTIONS] IMAGE [PATH]".
  std::vector<std::string> usage;
  /// What the command does, shown after the usage (the one-line summary is the description).
  std::string details;
  /// The global options the command takes, listed after its own.
  GlobalUse globals = GlobalUse::kImage;
};

/// CLI11's formatter with imgmount's layout; holds each command's VerbHelp.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter();

  /// Records the help of `app`.
  void Describe(const CLI::App* app, VerbHelp help);

  /// The help of `app` (`name` is its full command, "imgmount cache ls").
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override;

  /// An option's description, wrapped to fit beside the option column.
  std::string make_option_desc(const CLI::Option* option) const override;

  /// The global options (the root's) that a command taking `use` accepts.
  static std::vector<const CLI::Option*> GlobalOptionsFor(const CLI::App& root, GlobalUse use);

  /// The one-line list of the root's visible commands, for help and errors.
  std::string CommandList(const CLI::App& root) const;

 private:
  std::map<const CLI::App*, VerbHelp> help_;
};

}  // namespace imgmount
