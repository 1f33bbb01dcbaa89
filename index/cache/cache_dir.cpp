#include "index/cache/cache_dir.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>

#include "layers/base/digest.h"
#include "layers/base/hasher.h"
#include "layers/base/section_file.h"

namespace imgmount {

namespace {

constexpr size_t kMaxUses = 8;
constexpr size_t kMaxUsedBytes = 64 * 1024;
constexpr char kTag[] =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by imgmount (layer indexes).\n";

std::string HashHex(const std::string& text) {
  Hasher hash;
  hash.Update(std::as_bytes(std::span(text)));
  std::string digest = hash.Finish();
  return digest.substr(digest.find(':') + 1);
}

bool IsHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsStem(std::string_view stem) {
  for (auto [prefix, hex] : {std::pair<std::string_view, size_t>{"sha256-", 64},
                             {"sha512-", 128},
                             {"bound-", 64},
                             {"archive-", 64},
                             {"union-", 64}}) {
    if (stem.starts_with(prefix)) return IsHex(stem.substr(prefix.size()), hex);
  }
  return false;
}

// Image paths may hold any byte but NUL: escape '%', controls and DEL so one record is one line.
std::string Escape(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !IsHex(text.substr(i + 1, 2), 2)) return std::nullopt;
    out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

std::vector<UseRecord> ParseUses(const std::string& text) {
  std::vector<UseRecord> uses;
  size_t start = 0;
  while (start < text.size() && uses.size() < kMaxUses) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // an unfinished last line is ignored
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 18) continue;
    int64_t time = 0;
    bool digits = true;
    for (char c : line.substr(0, space)) {
      if (c < '0' || c > '9') digits = false;
      time = time * 10 + (c - '0');
    }
    // Escaping leaves no tab in the image: one separates the blob's identity (newer records).
    std::string_view rest = line.substr(space + 1);
    size_t tab = rest.find('\t');
    auto image = Unescape(rest.substr(0, tab));
    auto blob = tab == std::string_view::npos ? std::optional<std::string>("")
                                              : Unescape(rest.substr(tab + 1));
    if (!digits || !image || image->empty() || !blob) continue;
    uses.push_back({time, std::move(*image), std::move(*blob)});
  }
  return uses;
}

// One line of a .used file.
std::string UseLine(const UseRecord& use) {
  return std::to_string(use.time) + " " + Escape(use.image) +
         (use.blob.empty() ? "" : "\t" + Escape(use.blob)) + "\n";
}

std::string ReadFd(int fd) {
  std::string text(kMaxUsedBytes, '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::pread(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

int FlockRetrying(int fd, int operation) {
  int r;
  do {
    r = ::flock(fd, operation);
  } while (r != 0 && errno == EINTR);
  return r;
}

}  // namespace

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/imgmount";
  const char* home = std::getenv("HOME");
  std::string base = home != nullptr ? home : "";
  if (base.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
      base = pw->pw_dir;
    }
  }
  if (base.empty() || base[0] != '/') return "";
  return base + "/.cache/imgmount";
}

bool EnsureCacheDir(const std::string& dir, std::string* why) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
      std::string part = dir.substr(0, slash);
      bool last = slash == std::string::npos;
      if (::mkdir(part.c_str(), last ? 0700 : 0755) != 0 && errno != EEXIST) {
        *why = "cannot create " + part + ": " + std::strerror(errno);
        return false;
      }
      if (last) break;
    }
    if (::stat(dir.c_str(), &st) != 0) {
      *why = "cannot create " + dir + ": " + std::strerror(errno);
      return false;
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    *why = dir + " is not a directory";
    return false;
  }
  std::string tag = dir + "/CACHEDIR.TAG";
  if (::access(tag.c_str(), F_OK) != 0) {
    std::string ignored;
    WriteFileAtomically(
        tag, [](int fd) { return WriteAll(fd, std::as_bytes(std::span(kTag, sizeof kTag - 1))); },
        &ignored);
  }
  return true;
}

std::optional<std::string> SharedStem(const std::string& digest) {
  if (!IsValidDigest(digest)) return std::nullopt;
  std::string stem = digest;
  stem[stem.find(':')] = '-';
  return stem;
}

std::string BoundStem(const std::string& digest, const std::string& origin) {
  return "bound-" + HashHex(digest + '\n' + origin);
}

std::string ArchiveStem(const std::string& identity) {
  return "archive-" + HashHex(identity);
}

std::string UnionStem(const std::string& chain_id) {
  return "union-" + chain_id.substr(chain_id.find(':') + 1);
}

std::string StemOf(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos || !IsStem(std::string_view(name).substr(0, dot))) return "";
  return name.substr(0, dot);
}

bool IsCacheFileName(const std::string& name) {
  return !StemOf(name).empty();
}

std::string NewCopyName(const std::string& stem) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string name = stem + ".";
  for (int i = 0; i < 16; ++i) name += kHex[random() & 15];
  return name + ".zst";
}

std::unique_ptr<EntryLock> EntryLock::Acquire(const std::string& dir, const std::string& stem,
                                              bool wait, std::string* why) {
  std::string path = dir + "/" + stem + ".lock";
  for (;;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      *why = "cannot open " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    if (FlockRetrying(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      *why = errno == EWOULDBLOCK ? "busy" : "cannot lock " + path + ": " + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    // The holder before us may have removed the entry and its lock file: then lock anew.
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      return std::unique_ptr<EntryLock>(new EntryLock(fd, path));
    }
    ::close(fd);
  }
}

EntryLock::~EntryLock() {
  ::close(fd_);
}

void EntryLock::Unlink() {
  ::unlink(path_.c_str());
}

bool RecordUse(const std::string& used_path, const std::string& image, const std::string& blob,
               int64_t now, std::string* why) {
  int fd = ::open(used_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    *why = "cannot write " + used_path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = FlockRetrying(fd, LOCK_EX) == 0;
  std::string text;
  if (ok) {
    std::vector<UseRecord> uses = ParseUses(ReadFd(fd));
    text = UseLine({now, image, blob});
    size_t kept = 1;
    for (const UseRecord& use : uses) {
      if (use.image == image || kept == kMaxUses) continue;
      text += UseLine(use);
      ++kept;
    }
    ok = ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
         ::ftruncate(fd, static_cast<off_t>(text.size())) == 0;
  }
  if (!ok) *why = "cannot write " + used_path + ": " + std::strerror(errno);
  ::close(fd);
  return ok;
}

std::vector<UseRecord> ReadUses(const std::string& used_path) {
  int fd = ::open(used_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return {};
  FlockRetrying(fd, LOCK_SH);
  std::vector<UseRecord> uses = ParseUses(ReadFd(fd));
  ::close(fd);
  return uses;
}

}  // namespace imgmount
