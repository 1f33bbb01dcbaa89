// The mount daemon's log. Once the mount command has returned, the daemon has no terminal: what
// goes wrong then (a layer that fails to index, a warning about the cache) is sent to syslog,
// ident "imgmount", facility daemon, as FUSE daemons do once detached.
#pragma once

#include <string>

namespace imgmount {

/// How much a log line matters.
enum class LogLevel { kError, kWarning, kInfo };

/// Opens the connection to syslog (ident "imgmount", with the process id); call once, before
/// the first message, while the process can still open /dev/log.
void OpenDaemonLog();

/// Sends `message` to syslog at `level`.
void LogDaemon(LogLevel level, const std::string& message);

}  // namespace imgmount
