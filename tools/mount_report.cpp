#include "tools/mount_report.h"

#include <cstdlib>

#include "layers/base/error.h"

namespace imgmount {
namespace {

bool IsReportLetter(char letter) {
  switch (static_cast<MountReport>(letter)) {
    case MountReport::kWarning:
    case MountReport::kNote:
    case MountReport::kLayerLabels:
    case MountReport::kMountFailed:
    case MountReport::kMounted:
    case MountReport::kProgress:
    case MountReport::kIndexed:
    case MountReport::kIndexingFailed:
      return true;
  }
  return false;
}

}  // namespace

std::string EncodeReport(MountReport kind, std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  std::string line(1, static_cast<char>(kind));
  if (!text.empty()) line += " " + text;
  return line + "\n";
}

std::optional<ReceivedReport> DecodeReport(const std::string& line) {
  if (line.empty() || !IsReportLetter(line[0])) return std::nullopt;
  return ReceivedReport{static_cast<MountReport>(line[0]), line.size() > 2 ? line.substr(2) : ""};
}

std::string FailureText(const std::exception& e) {
  const auto* error = dynamic_cast<const Error*>(&e);
  int code = ExitCodeFor(error != nullptr ? error->kind() : ErrorKind::kInternal);
  std::string text = error != nullptr ? e.what() : std::string("internal error: ") + e.what();
  return std::to_string(code) + " " + text;
}

ReceivedFailure DecodeFailureText(const std::string& text) {
  size_t space = text.find(' ');
  int code = std::atoi(text.substr(0, space).c_str());
  return {code != 0 ? code : ExitCodeFor(ErrorKind::kInternal), text.substr(space + 1)};
}

}  // namespace imgmount
