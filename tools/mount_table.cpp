#include "tools/mount_table.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "layers/base/error.h"

namespace imgmount {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = field[i + k];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// The topmost mount exactly at `absolute_path`.
std::optional<MountEntry> TopMountAt(const std::string& absolute_path) {
  std::optional<MountEntry> found;
  for (MountEntry& entry : ReadMountTable()) {
    if (entry.mountpoint == absolute_path) found = std::move(entry);
  }
  return found;
}

}  // namespace

std::string MountSource(const std::string& image, size_t upto) {
  return upto == 0 ? image : image + ",upto=" + std::to_string(upto);
}

std::string EscapeFuseOptionValue(const std::string& source) {
  std::string out;
  for (char c : source) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

MountSourceParts ParseMountSource(const std::string& source) {
  MountSourceParts parts;
  parts.image = source.starts_with("imgmount:") ? source.substr(9) : source;
  size_t at = parts.image.rfind(",upto=");
  if (at == std::string::npos) return parts;
  std::string digits = parts.image.substr(at + 6);
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return parts;
  }
  parts.upto = std::stoul(digits);
  parts.image.resize(at);
  return parts;
}

std::vector<MountEntry> ReadMountTable() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::vector<MountEntry> mounts;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devnum, root, mountpoint;
    fields >> id >> parent >> devnum >> root >> mountpoint;
    std::string field;
    while (fields >> field && field != "-") {
    }
    std::string type, source;
    fields >> type >> source;
    mounts.push_back({Unescape(mountpoint), devnum, type, Unescape(source)});
  }
  return mounts;
}

std::optional<std::string> MountedTypeAt(const std::string& absolute_path) {
  std::optional<MountEntry> mount = TopMountAt(absolute_path);
  if (!mount) return std::nullopt;
  return mount->type;
}

void RaiseReadahead(const std::string& absolute_path, unsigned kib) {
  std::optional<MountEntry> mount = TopMountAt(absolute_path);
  if (!mount) return;
  std::ofstream setting("/sys/class/bdi/" + mount->device + "/read_ahead_kb");
  if (setting) setting << kib << "\n";
}

std::string CheckMountpoint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int e = errno;
    if (e == ENOTCONN) {
      throw Error(
          ErrorKind::kMount, e,
          path + ": a FUSE mount whose daemon is gone; run `imgmount -u " + path + "` first");
    }
    if (e == ENOENT) {
      throw Error(ErrorKind::kNotFound, e,
                  "mountpoint " + path + " does not exist (mkdir it first)");
    }
    errno = e;
    ThrowSystemError("mountpoint " + path);
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kMount, ENOTDIR, "mountpoint " + path + " is not a directory");
  }
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) ThrowSystemError("mountpoint " + path);
  std::string absolute = resolved;
  if (auto type = MountedTypeAt(absolute)) {
    throw Error(ErrorKind::kMount, EBUSY,
                "mountpoint " + path + " is already mounted (" + *type + "); unmount it first" +
                    (type->starts_with("fuse") ? " with `imgmount -u " + path + "`" : ""));
  }
  return absolute;
}

void CheckFuseUsable() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    int e = errno;
    throw Error(ErrorKind::kMount, e,
                std::string("FUSE is not usable here: /dev/fuse: ") + std::strerror(e) +
                    " (load the fuse module, or give the container --device /dev/fuse); "
                    "`imgmount ls|cat` work without FUSE");
  }
}

}  // namespace imgmount
