#include "tools/command_line.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "layers/base/error.h"

namespace imgmount {
namespace {

constexpr const char* kGlobalGroup = "global options";

// The subcommand of `app` named `name`, or nullptr.
const CLI::App* FindVerb(const CLI::App& app, const std::string& name) {
  std::vector<const CLI::App*> found =
      app.get_subcommands([&](const CLI::App* sub) { return sub->get_name() == name; });
  return found.empty() ? nullptr : found.front();
}

// Whether the first word of a command line that is no verb names an image to mount: an existing
// file or directory (or FILE:TAG of one), or a word spelled as a path ("/" or "." in it; no verb
// has either), so that a missing image file is reported as missing.
bool LooksLikeImage(const std::string& word) {
  struct stat st {};
  if (::stat(word.c_str(), &st) == 0 || !SplitImageArgument(word).tag.empty()) return true;
  return word.find_first_of("/.") != std::string::npos;
}

// The words of a CLI11 ExtrasError, in the order given (CLI11 lists them backwards).
std::vector<std::string> ExtraWords(const std::string& message) {
  std::vector<std::string> words;
  size_t colon = message.find(": ");
  if (colon == std::string::npos) return words;
  std::string rest = message.substr(colon + 2);
  for (size_t at = 0; at < rest.size();) {
    size_t space = std::min(rest.find(' ', at), rest.size());
    words.push_back(rest.substr(at, space - at));
    at = space + 1;
  }
  std::reverse(words.begin(), words.end());
  return words;
}

}  // namespace

CommandLine::CommandLine(const std::string& version)
    : formatter_(std::make_shared<HelpFormatter>()), root_("", "imgmount") {
  root_.formatter(formatter_);
  root_.require_subcommand(1);
  root_.set_help_flag("-h,--help", "print this help and exit");
  root_.set_version_flag("-V,--version", "imgmount " + version, "print the version and exit");
  root_.description("Mount a container image read-only, or look into it without mounting");
  root_.footer(
      "The global options go before or after the command. `imgmount help COMMAND` (or\n"
      "`imgmount COMMAND --help`) tells more about each command, `imgmount mount --help` about\n"
      "mounting. A first word that is a command is one, even where a file of that name exists\n"
      "(mount it as ./NAME or with `imgmount mount NAME MOUNTPOINT`).\n"
      "exit status: 0 ok, 1 a difference or mismatch (diff, verify), 2 bad usage, 3 not found,\n"
      "4 bad image, 5 digest mismatch, 6 I/O, TLS or network error, 7 mount error,\n"
      "8 unauthorized (a registry refuses the credentials), 70 internal error");
  formatter_->Describe(&root_,
                       {{"imgmount [OPTIONS] IMAGE[:TAG] MOUNTPOINT", "imgmount -u [-z] MOUNTPOINT",
                         "imgmount COMMAND [OPTIONS] ...", "imgmount help [COMMAND]"},
                        "IMAGE is a docker save tar, a docker-archive, an OCI layout "
                        "directory or an OCI archive;\n"
                        "the mount returns as soon as it is usable and indexes the layers "
                        "in the background.\n"
                        "The mount and the commands also take a registry reference, "
                        "docker://HOST[:PORT]/REPO[:TAG|@DIGEST], or an image of containerd's "
                        "store\n(Docker's too), containerd://NAME[:TAG|@DIGEST].",
                        GlobalUse::kImage});
  AddGlobalOptions();
}

void CommandLine::AddGlobalOptions() {
  auto value = [this](const char* name, const char* text, const char* description) {
    root_
        .add_option_function<std::string>(
            name, [this, name](const std::string& v) { Record(name, v); }, description)
        ->option_text(text)
        ->trigger_on_parse()
        ->group(kGlobalGroup);
  };
  auto flag = [this](const char* names, const char* name, const char* description) {
    root_
        .add_flag_callback(
            names, [this, name] { Record(name, ""); }, description)
        ->trigger_on_parse()
        ->group(kGlobalGroup);
  };
  value("--platform", "OS/ARCH[/VARIANT]",
        "platform of a multi-platform image (default: this machine's)");
  value("--image", "NAME[:TAG]", "image of an archive holding several (or IMAGE:TAG)");
  value("--upto", "N", "the image as it stood after layer N");
  flag("-q,--quiet", "-q", "no warnings");
  value("--cache-dir", "DIR",
        "index cache (default $XDG_CACHE_HOME/imgmount, else ~/.cache/imgmount); see imgmount "
        "cache --help");
  flag("--no-cache", "--no-cache", "neither read nor write the index cache");
  flag("-v,--verbose", "-v", "say whether each layer's index came from the cache");
  // A flag that takes its value only after "=", as skopeo's: "--tls-verify IMAGE" keeps IMAGE.
  root_
      .add_flag("--tls-verify", tls_verify_,
                "check registry certificates (default true); =false also permits plain HTTP")
      ->each([this](const std::string& v) { Record("--tls-verify", v); })
      ->option_text("[=BOOL]")
      ->trigger_on_parse()
      ->group(kGlobalGroup);
  value("--cert-dir", "DIR",
        "extra CA certificates (*.crt) and a client key pair (*.cert, *.key) for registries");
  value("--authfile", "FILE",
        "registry credentials file (default $REGISTRY_AUTH_FILE, else containers' auth.json, "
        "else ~/.docker/config.json)");
  value("--creds", "USER[:PASSWORD]",
        "registry credentials, before any auth file (the password asked if left out)");
  value("--namespace", "NS",
        "containerd namespace of containerd:// images (default moby in Docker's root, else "
        "default)");
  value("--containerd-root", "DIR",
        "containerd's root for containerd:// images (default /var/lib/containerd, else "
        "/var/lib/docker/containerd/daemon)");
}

void CommandLine::AddHelpVerb() {
  auto words = std::make_shared<std::vector<std::string>>();
  CLI::App* help = AddVerb({"help",
                            "show the help of imgmount or of a command",
                            {{"imgmount help [COMMAND [SUBCOMMAND]]"}, "", GlobalUse::kNone}},
                           [this, words] {
                             const CLI::App* app = &root_;
                             std::string name = "imgmount";
                             for (const std::string& word : *words) {
                               app = FindVerb(*app, word);
                               if (app == nullptr) UnknownCommand(word);
                               name += " " + word;
                             }
                             std::cout
                                 << formatter_->make_help(app, name, CLI::AppFormatMode::Normal);
                             return 0;
                           });
  help->add_option("COMMAND", *words, "the command (and sub-command, as in cache ls)");
}

CLI::App* CommandLine::AddVerb(const VerbSpec& spec, std::function<int()> body, CLI::App* parent) {
  CLI::App* owner = parent != nullptr ? parent : &root_;
  CLI::App* verb = owner->add_subcommand(spec.name, spec.summary);
  verb->fallthrough();
  verb->group("commands");
  verb->footer("");  // CLI11 copies the root's
  formatter_->Describe(verb, spec.help);
  if (!body) {
    verb->require_subcommand(1);
    return verb;
  }
  std::string command = (parent != nullptr ? parent->get_name() + " " : "") + spec.name;
  runnable_.push_back(verb);
  verb->callback([this, verb, command, use = spec.help.globals, body = std::move(body)] {
    const CLI::Option* extra = verb->get_option_no_throw(kExtraName);
    if (extra != nullptr && extra->count() > 0) {
      UsageError(command, "unexpected argument " + extra->results().front());
    }
    CheckGlobals(command, use);
    exit_code_ = body();
  });
  return verb;
}

ImageArgs CommandLine::ImageOptions(const std::string& image, size_t index, size_t count) const {
  ImageArgs out;
  out.image = image;
  for (const Given& given : given_) {
    if (given.images_before <= index || given.images_before >= count) {
      ApplyImageOption(given.name, given.value, out);
    }
  }
  return out;
}

void CommandLine::CountImagesWith(std::function<size_t()> images_so_far) {
  images_so_far_ = std::move(images_so_far);
}

void CommandLine::Record(const std::string& name, const std::string& value) {
  given_.push_back({name, value, images_so_far_ ? images_so_far_() : 0});
}

void CommandLine::CheckGlobals(const std::string& verb, GlobalUse use) const {
  for (const Given& given : given_) {
    if (use == GlobalUse::kImage || (use == GlobalUse::kCacheDir && given.name == "--cache-dir")) {
      continue;
    }
    UsageError(verb, given.name + " does not go with imgmount " + verb);
  }
}

bool CommandLine::TakesValue(const std::string& option) const {
  std::string name = option.starts_with("--") ? option : option.substr(0, 2);
  if (!option.starts_with("--") && option.size() > 2) return false;  // -oVALUE, -fq
  for (const CLI::App* app : {&root_, FindVerb(root_, "mount")}) {
    const CLI::Option* found = app != nullptr ? app->get_option_no_throw(name) : nullptr;
    if (found != nullptr) return found->get_items_expected_max() != 0;
  }
  return false;
}

void CommandLine::Dispatch(std::vector<std::string>& args) const {
  size_t word = args.size();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-u" || arg == "--unmount") {
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      args.insert(args.begin(), "unmount");
      return;
    }
    if (arg == "--") {
      word = i + 1;
      break;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') == std::string::npos && TakesValue(arg)) ++i;
      continue;
    }
    word = i;
    break;
  }
  if (word >= args.size()) return;
  if (FindVerb(root_, args[word]) != nullptr) return;
  if (!LooksLikeImage(args[word])) UnknownCommand(args[word]);
  args.insert(args.begin(), "mount");
}

void CommandLine::UnknownCommand(const std::string& word) const {
  std::string list = formatter_->CommandList(root_);
  if (list.ends_with("\n")) list.pop_back();
  throw Error(ErrorKind::kUsage, EINVAL,
              "unknown command \"" + word + "\" (see imgmount --help); the commands are:\n" + list);
}

std::string CommandLine::Explain(const CLI::ParseError& e) const {
  // The command that was being parsed: the deepest subcommand seen.
  std::string command;
  const CLI::App* app = &root_;
  while (!app->get_subcommands().empty()) {
    app = app->get_subcommands().front();
    command += (command.empty() ? "" : " ") + app->get_name();
  }
  std::string what = e.what();
  std::string message = what;
  // CLI11 checks for missing arguments before it complains about words it did not take: an
  // unknown option is the better explanation ("cat IMAGE -x": -x was meant as a path).
  std::vector<std::string> left = root_.remaining(true);
  bool unknown_option = !left.empty() && left.front().size() > 1 && left.front()[0] == '-';
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && unknown_option) {
    message = "unknown option " + left.front();
  } else if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    std::vector<std::string> words = ExtraWords(what);
    if (!words.empty()) {
      const std::string& first = words.front();
      message = (first.size() > 1 && first[0] == '-' ? "unknown option " : "unexpected argument ") +
                first;
    }
  } else if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    if (what.find("subcommand") != std::string::npos) {
      std::string names;
      for (const CLI::App* sub : app->get_subcommands({})) {
        if (sub->get_group().empty()) continue;
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      message =
          app == &root_ ? "expected a command or IMAGE MOUNTPOINT" : "expected a command: " + names;
    } else if (what.ends_with(" is required")) {
      message = "missing " + what.substr(0, what.size() - 12);
    }
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr &&
             what.find(" required ") != std::string::npos) {
    message = what.substr(0, what.find(':')) + " needs a value";
  }
  if (command == "unmount") command = "-u";  // the hidden verb -u stands for
  return message + " (see imgmount " + (command.empty() ? "" : command + " ") + "--help)";
}

int CommandLine::Run(std::vector<std::string> args) {
  if (args.empty()) {
    std::fputs(root_.help().c_str(), stderr);
    return ExitCodeFor(ErrorKind::kUsage);
  }
  AddHelpVerb();  // last in the list of commands
  for (CLI::App* verb : runnable_) {
    // Last, after the verb's own positionals: takes what they do not (see the file comment).
    verb->add_option(kExtraName)->group("")->expected(1);
  }
  Dispatch(args);
  std::reverse(args.begin(), args.end());
  try {
    root_.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return root_.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root_.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "imgmount: %s\n", Explain(e).c_str());
    return ExitCodeFor(ErrorKind::kUsage);
  }
  return exit_code_;
}

}  // namespace imgmount
