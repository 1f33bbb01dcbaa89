#include "tools/path_messages.h"

#include <cstdio>
#include <cstring>

namespace imgmount {

std::string ImagePath(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  return "/" + std::string(path);
}

std::string PathMessage(const std::string& verb, const std::string& image, std::string_view path,
                        int errno_value, const std::string& detail) {
  std::string out = verb + ": " + ImagePath(path) + ": " + std::strerror(errno_value);
  if (!detail.empty()) out += ": " + detail;
  return out + " (in " + image + ")";
}

std::string PathMessage(const std::string& verb, const std::string& image, std::string_view path,
                        const Error& error) {
  // Path resolution's own sentences ("x: no such file or directory") only repeat the errno.
  bool about_path = error.kind() == ErrorKind::kNotFound;
  return PathMessage(verb, image, path, error.errno_value(), about_path ? "" : error.what());
}

void ThrowPathError(const std::string& verb, const std::string& image, std::string_view path,
                    const Error& error) {
  throw Error(error.kind(), error.errno_value(), PathMessage(verb, image, path, error));
}

void PrintPathError(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "imgmount: %s\n", message.c_str());
}

}  // namespace imgmount
