// How the verbs name a path of an image in their messages, the way coreutils name a file:
// "VERB: /PATH: REASON (in IMAGE)", the path with its leading "/", the reason strerror's.
#pragma once

#include <string>
#include <string_view>

#include "layers/base/error.h"

namespace imgmount {

/// `path` as the image's root sees it: with a leading "/" ("etc/x" is "/etc/x", "" is "/").
std::string ImagePath(std::string_view path);

/// "VERB: /PATH: strerror(errno_value)[: detail] (in IMAGE)".
std::string PathMessage(const std::string& verb, const std::string& image, std::string_view path,
                        int errno_value, const std::string& detail = "");

/// The message of `error`, met by VERB at PATH of IMAGE: why in strerror's words, and the
/// error's own sentence as detail unless it only said so about the path.
std::string PathMessage(const std::string& verb, const std::string& image, std::string_view path,
                        const Error& error);

/// Throws `error` again (same kind and errno) with PathMessage's text.
[[noreturn]] void ThrowPathError(const std::string& verb, const std::string& image,
                                 std::string_view path, const Error& error);

/// Prints "imgmount: MESSAGE" to stderr after flushing stdout, for failures a verb goes past.
void PrintPathError(const std::string& message);

}  // namespace imgmount
