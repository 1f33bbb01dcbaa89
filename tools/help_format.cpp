#include "tools/help_format.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace imgmount {
namespace {

constexpr size_t kColumnWidth = 32;
constexpr size_t kLineWidth = 100;

// `text` with its lines broken at spaces so that none is longer than `width`.
std::string Wrap(const std::string& text, size_t width) {
  std::string out;
  size_t line = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.find_first_of(" \n", at), text.size());
    std::string word = text.substr(at, end - at);
    if (line > 0 && line + 1 + word.size() > width) {
      out += '\n';
      line = 0;
    } else if (line > 0) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
    if (end < text.size() && text[end] == '\n') {
      out += '\n';
      line = 0;
    }
    at = end + 1;
  }
  return out;
}

}  // namespace

HelpFormatter::HelpFormatter() {
  column_width(kColumnWidth);
  label("OPTIONS", "OPTIONS");
}

void HelpFormatter::Describe(const CLI::App* app, VerbHelp help) {
  help_[app] = std::move(help);
}

std::string HelpFormatter::make_option_desc(const CLI::Option* option) const {
  return Wrap(option->get_description(), kLineWidth - kColumnWidth);
}

std::vector<const CLI::Option*> HelpFormatter::GlobalOptionsFor(const CLI::App& root,
                                                                GlobalUse use) {
  std::vector<const CLI::Option*> out;
  if (use == GlobalUse::kNone) return out;
  for (const CLI::Option* option : root.get_options()) {
    if (option->get_group() != "global options") continue;
    if (use == GlobalUse::kCacheDir && option->get_name() != "--cache-dir") continue;
    out.push_back(option);
  }
  return out;
}

std::string HelpFormatter::CommandList(const CLI::App& root) const {
  std::ostringstream out;
  for (const CLI::App* sub : root.get_subcommands({})) {
    if (sub->get_group().empty()) continue;  // hidden (unmount: spelled -u)
    out << make_subcommand(sub);
  }
  return out.str();
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string name,
                                     CLI::AppFormatMode mode) const {
  if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
  const CLI::App* root = app;
  while (root->get_parent() != nullptr) root = root->get_parent();
  std::ostringstream out;
  auto found = help_.find(app);
  VerbHelp help =
      found == help_.end() ? VerbHelp{{name + " [OPTIONS]"}, "", GlobalUse::kNone} : found->second;
  for (size_t i = 0; i < help.usage.size(); ++i) {
    out << (i == 0 ? "usage: " : "       ") << help.usage[i] << "\n";
  }
  std::string description = app->get_description();
  if (!description.empty()) {
    description[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(description[0])));
    out << description << ".\n";
  }
  if (!help.details.empty()) out << help.details << (help.details.ends_with("\n") ? "" : "\n");
  std::vector<const CLI::Option*> own = app->get_options([&](const CLI::Option* option) {
    return option->nonpositional() && (app != root || option->get_group() != "global options");
  });
  if (!own.empty()) out << make_group("options", false, own);
  std::vector<const CLI::Option*> globals = GlobalOptionsFor(*root, help.globals);
  if (!globals.empty()) {
    out << make_group("global options (before or after the command)", false, globals);
  }
  std::vector<const CLI::App*> subs =
      app->get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
  if (!subs.empty()) {
    out << "\ncommands:\n";
    for (const CLI::App* sub : subs) out << make_subcommand(sub);
  }
  if (!app->get_footer().empty()) out << "\n" << app->get_footer() << "\n";
  return out.str();
}

}  // namespace imgmount
