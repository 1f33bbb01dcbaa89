#include "fs/daemon_log.h"

#include <syslog.h>

namespace imgmount {

void OpenDaemonLog() {
  // LOG_NDELAY: connect now, before the daemon detaches and changes directory.
  ::openlog("imgmount", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void LogDaemon(LogLevel level, const std::string& message) {
  int priority = level == LogLevel::kError     ? LOG_ERR
                 : level == LogLevel::kWarning ? LOG_WARNING
                                               : LOG_INFO;
  ::syslog(priority, "%s", message.c_str());
}

}  // namespace imgmount
