// The one command line parser of imgmount (CLI11): a subcommand per verb, the global options
// declared once, the bare forms `imgmount IMAGE MOUNTPOINT` and `imgmount -u MOUNTPOINT`, help,
// and CLI11's errors turned into "imgmount: ..." messages with exit status 2.
//
// A verb is added with AddVerb (see tools/verbs.h): it declares its own options on the returned
// subcommand and reads the global options it takes with ImageOptions() when its body runs, after
// the whole command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli_common.h"
#include "tools/help_format.h"

namespace imgmount {

/// A command: its name, its one-line summary and its help (tools/help_format.h).
struct VerbSpec {
  std::string name;
  /// One line, without a final period, for `imgmount --help`'s list of commands.
  std::string summary;
  VerbHelp help;
};

/// imgmount's command line: build it, add the verbs, Run it.
class CommandLine {
 public:
  /// A command line whose --version prints `version`.
  explicit CommandLine(const std::string& version);
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  /// Adds the verb `spec` (under `parent`, e.g. "cache", if given) whose `body` runs once the
  /// command line is parsed and returns the exit code; returns the subcommand to declare the
  /// verb's own options and positionals on. A verb without a body only groups sub-verbs.
  CLI::App* AddVerb(const VerbSpec& spec, std::function<int()> body, CLI::App* parent = nullptr);

  /// The image argument `image` with the global options given for it, image `index` (0 = first)
  /// of the `count` images the running verb takes: options before the first image and after the
  /// last apply to every image, those between two images to the later ones only (see
  /// CountImagesWith).
  ImageArgs ImageOptions(const std::string& image, size_t index = 0, size_t count = 1) const;

  /// Tells how many image positionals the running verb has taken so far (diff), so that an
  /// option's place among them is known.
  void CountImagesWith(std::function<size_t()> images_so_far);

  /// Parses `args` (argv without the program name), runs the verb and returns its exit code; 2
  /// for bad usage, 0 for help and --version.
  int Run(std::vector<std::string> args);

 private:
  // One global option as given: which (its long name, or -q/-v), its value, and how many
  // images the verb had taken before it.
  struct Given {
    std::string name;
    std::string value;
    size_t images_before = 0;
  };

  void AddGlobalOptions();
  void AddHelpVerb();
  void Record(const std::string& name, const std::string& value);
  // Rewrites the bare forms into the "mount" and "unmount" verbs; throws for an unknown verb.
  void Dispatch(std::vector<std::string>& args) const;
  bool TakesValue(const std::string& option) const;
  // Refuses global options that `use` does not take, naming `verb`.
  void CheckGlobals(const std::string& verb, GlobalUse use) const;
  // The message of a CLI11 parse error, in imgmount's words, naming the verb's help.
  std::string Explain(const CLI::ParseError& e) const;
  [[noreturn]] void UnknownCommand(const std::string& word) const;

  std::shared_ptr<HelpFormatter> formatter_;
  CLI::App root_;
  std::vector<Given> given_;
  std::function<size_t()> images_so_far_;
  // The verbs with a body, each of which gets a hidden positional kExtraName taking the words
  // its own positionals do not: after "--", CLI11 leaves a verb whose required positionals are
  // filled and hands the rest to the root, which refuses "cat IMG /a -- -x".
  std::vector<CLI::App*> runnable_;
  static constexpr const char* kExtraName = "EXTRA";
  int exit_code_ = 0;
  // Where CLI11 puts --tls-verify's value; Record keeps what counts.
  std::string tls_verify_;
};

}  // namespace imgmount
