// The reports a mount process sends to the command that started it, through a pipe, while it
// mounts and then indexes: one line per report. On the wire a report is its letter, then, when
// it has a text, a space and the text (newlines flattened to spaces), then "\n". The parent
// stops reading after E, D or F (and after O unless it follows the indexing).
#pragma once

#include <exception>
#include <optional>
#include <string>

namespace imgmount {

/// What one report says; the value is its letter on the wire.
enum class MountReport : char {
  kWarning = 'W',         ///< a warning to print; text: the warning
  kNote = 'N',            ///< a -v note to print; text: the note
  kLayerLabels = 'L',     ///< short names of the layer positions, bottom first; tab-separated
  kMountFailed = 'E',     ///< the mount failed, the process ends; text: FailureText
  kMounted = 'O',         ///< the mount is live; no text
  kProgress = 'P',        ///< where the indexing stands; text: EncodeProgress (index_progress.h)
  kIndexed = 'D',         ///< every layer is indexed and the union tree built; no text
  kIndexingFailed = 'F',  ///< the indexing failed after the mount; text: FailureText
};

/// A report as read back from the pipe.
struct ReceivedReport {
  MountReport kind;
  std::string text;
};

/// The report as sent: its letter, " TEXT" unless `text` is empty, and "\n".
std::string EncodeReport(MountReport kind, std::string text = {});

/// The report in `line` (without its newline), or nullopt for an empty line or an unknown letter.
std::optional<ReceivedReport> DecodeReport(const std::string& line);

/// The text of a failure report: "<exit code> <message>" for the error `e`.
std::string FailureText(const std::exception& e);

/// A failure report's text read back.
struct ReceivedFailure {
  /// The exit code the command should return (never 0).
  int exit_code;
  std::string message;
};

/// Reads back a FailureText.
ReceivedFailure DecodeFailureText(const std::string& text);

}  // namespace imgmount
