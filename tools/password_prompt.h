// Asking for a registry password on the terminal, as skopeo does for `--creds USER`.
#pragma once

#include <string>

namespace imgmount {

/// Completes a --creds value: "USER:PASSWORD" is returned as is; a bare "USER" gets its password
/// asked on the controlling terminal (/dev/tty, echo off) and returned as "USER:PASSWORD". Throws
/// kUsage when there is no terminal to ask on or the answer is cut short.
std::string CompleteCreds(const std::string& creds);

}  // namespace imgmount
