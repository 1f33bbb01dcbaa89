// imgmount-treedump: prints one sorted, comparable line per path of a directory tree (type, mode,
// owner, size, content hash, link target, device numbers, xattrs, mtime, nlink, hardlink group).
// It is the oracle side of end-to-end tests, so it uses plain POSIX and OpenSSL only, never any
// imgmount code.
#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace imgmount {
namespace {

// What the command line asked for.
struct Options {
  std::string root;                // directory to dump
  bool mtime = true;               // print mtimes at all
  bool dir_mtime = true;           // print mtimes of directories
  bool xattrs = true;              // print extended attributes
  std::set<std::string> excluded;  // relative paths skipped with their subtrees
};

// One walked path.
struct Node {
  std::string rel;                                          // relative path, "." for the root
  struct stat st {};                                        // lstat result
  std::string target;                                       // symlink target
  std::string sha256;                                       // content hash of regular files
  std::vector<std::pair<std::string, std::string>> xattrs;  // sorted name/value pairs
};

// Throws a runtime_error naming the path and the errno.
[[noreturn]] void Fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// Escapes bytes outside printable ASCII, space and backslash as \xHH (backslash as \\).
std::string Escape(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c <= 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Lower-case hex of arbitrary bytes.
std::string Hex(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * s.size());
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// SHA-256 of a regular file's content.
std::string HashFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) Fail("open", path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  static thread_local std::vector<char> buf(1 << 20);
  while (true) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      EVP_MD_CTX_free(ctx);
      close(fd);
      Fail("read", path);
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  return Hex(std::string(reinterpret_cast<char*>(md), len));
}

// Extended attributes of a path (not following symlinks), sorted by name.
std::vector<std::pair<std::string, std::string>> ReadXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return out;
    Fail("llistxattr", path);
  }
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) Fail("llistxattr", path);
  names.resize(static_cast<size_t>(n));
  for (size_t pos = 0; pos < names.size();) {
    const std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    ssize_t vn = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) Fail("lgetxattr " + name, path);
    std::string value(static_cast<size_t>(vn), '\0');
    vn = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vn < 0) Fail("lgetxattr " + name, path);
    value.resize(static_cast<size_t>(vn));
    out.emplace_back(name, value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads a symlink's target.
std::string ReadLink(const std::string& path, size_t size_hint) {
  std::string target(std::max<size_t>(size_hint, 255) + 1, '\0');
  while (true) {
    const ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) Fail("readlink", path);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

// Fills one node from the file system.
Node Inspect(const Options& opt, const std::string& rel, const std::string& abs) {
  Node node;
  node.rel = rel;
  if (lstat(abs.c_str(), &node.st) != 0) Fail("lstat", abs);
  if (S_ISLNK(node.st.st_mode)) node.target = ReadLink(abs, static_cast<size_t>(node.st.st_size));
  if (S_ISREG(node.st.st_mode)) node.sha256 = HashFile(abs);
  if (opt.xattrs) node.xattrs = ReadXattrs(abs);
  return node;
}

// Walks the tree depth first, appending every node not excluded.
void Walk(const Options& opt, const std::string& rel, const std::string& abs,
          std::vector<Node>& nodes) {
  nodes.push_back(Inspect(opt, rel, abs));
  if (!S_ISDIR(nodes.back().st.st_mode)) return;
  DIR* dir = opendir(abs.c_str());
  if (!dir) Fail("opendir", abs);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* d = readdir(dir)) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
      names.emplace_back(d->d_name);
    }
  }
  const int err = errno;
  closedir(dir);
  errno = err;
  if (err != 0) Fail("readdir", abs);
  for (const std::string& name : names) {
    const std::string child_rel = rel == "." ? name : rel + "/" + name;
    if (opt.excluded.count(child_rel)) continue;
    Walk(opt, child_rel, abs + "/" + name, nodes);
  }
}

// The type word printed for a mode.
const char* TypeName(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "dir";
  if (S_ISLNK(mode)) return "symlink";
  if (S_ISCHR(mode)) return "char";
  if (S_ISBLK(mode)) return "block";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  return "unknown";
}

// Prints every node, sorted by path, with hardlink groups named by their smallest path.
void Print(const Options& opt, std::vector<Node>& nodes) {
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) {
    if (a.rel == ".") return b.rel != ".";
    if (b.rel == ".") return false;
    return a.rel < b.rel;
  });
  std::map<std::pair<dev_t, ino_t>, const std::string*> groups;
  for (const Node& n : nodes) {
    if (S_ISDIR(n.st.st_mode) || n.st.st_nlink < 2) continue;
    groups.emplace(std::make_pair(n.st.st_dev, n.st.st_ino), &n.rel);  // first = smallest
  }
  std::string line;
  for (const Node& n : nodes) {
    const struct stat& st = n.st;
    line = Escape(n.rel);
    char buf[160];
    std::snprintf(buf, sizeof buf, " %s %04o %lu:%lu nlink=%lu", TypeName(st.st_mode),
                  static_cast<unsigned>(st.st_mode & 07777), static_cast<unsigned long>(st.st_uid),
                  static_cast<unsigned long>(st.st_gid), static_cast<unsigned long>(st.st_nlink));
    line += buf;
    if (S_ISREG(st.st_mode)) {
      line += " size=" + std::to_string(st.st_size) + " sha256=" + n.sha256;
    }
    if (S_ISLNK(st.st_mode)) line += " target=" + Escape(n.target);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      line +=
          " rdev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      line += " hardlink=" + Escape(*groups.at({st.st_dev, st.st_ino}));
    }
    for (const auto& [name, value] : n.xattrs) {
      line += " xattr." + Escape(name) + "=" + Hex(value);
    }
    if (opt.mtime && (opt.dir_mtime || !S_ISDIR(st.st_mode))) {
      std::snprintf(buf, sizeof buf, " mtime=%lld.%09ld", static_cast<long long>(st.st_mtim.tv_sec),
                    static_cast<long>(st.st_mtim.tv_nsec));
      line += buf;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
}

// Prints the usage text to `out`.
void Usage(std::FILE* out) {
  std::fputs(
      "usage: imgmount-treedump [options] DIR\n"
      "Prints one line per path under DIR, sorted by path (root first, as \".\"):\n"
      "  PATH TYPE MODE UID:GID nlink=N [size=N sha256=HEX] [target=T] [rdev=MAJ:MIN]\n"
      "  [hardlink=SMALLEST-PATH-OF-THE-INODE] [xattr.NAME=HEXVALUE ...] [mtime=SEC.NSEC]\n"
      "Bytes outside printable ASCII, space and backslash are escaped as \\xHH and \\\\.\n"
      "options:\n"
      "  --no-mtime        leave out all mtimes\n"
      "  --no-dir-mtime    leave out the mtimes of directories\n"
      "  --no-xattrs       leave out extended attributes\n"
      "  --exclude PATH    skip PATH (relative to DIR) and everything below it; repeatable\n"
      "  -h, --help        show this text\n"
      "exit status: 0 ok, 1 error while walking, 2 bad usage\n",
      out);
}

// Parses the command line; exits with status 2 on bad usage.
Options ParseArgs(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      Usage(stdout);
      std::exit(0);
    } else if (arg == "--no-mtime") {
      opt.mtime = false;
    } else if (arg == "--no-dir-mtime") {
      opt.dir_mtime = false;
    } else if (arg == "--no-xattrs") {
      opt.xattrs = false;
    } else if (arg == "--exclude" && i + 1 < argc) {
      std::string path = argv[++i];
      while (path.size() > 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      opt.excluded.insert(path);
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "imgmount-treedump: unknown option %s\n", arg.c_str());
      Usage(stderr);
      std::exit(2);
    } else if (opt.root.empty()) {
      opt.root = arg;
    } else {
      std::fprintf(stderr, "imgmount-treedump: more than one DIR given\n");
      std::exit(2);
    }
  }
  if (opt.root.empty()) {
    Usage(stderr);
    std::exit(2);
  }
  while (opt.root.size() > 1 && opt.root.back() == '/') opt.root.pop_back();
  return opt;
}

}  // namespace
}  // namespace imgmount

int main(int argc, char** argv) {
  const imgmount::Options opt = imgmount::ParseArgs(argc, argv);
  try {
    std::vector<imgmount::Node> nodes;
    imgmount::Walk(opt, ".", opt.root, nodes);
    imgmount::Print(opt, nodes);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "imgmount-treedump: %s\n", e.what());
    return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
