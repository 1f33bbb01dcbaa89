// Reads containerd's metadata database the way a bbolt read transaction would see it, without
// its lock: the file is opened read-only (never flocked: the daemon holds an exclusive flock
// while it runs), the lookups are made from the newest valid meta page, and the meta page is
// read again afterwards. A commit in between (a changed txid, a page that broke a rule, or a
// file whose size or mtime changed under the reads) makes the whole read start again, up to
// three times.
#include "layers/containerd/containerd_store.h"

#include <grp.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "layers/base/error.h"
#include "layers/containerd/bolt_file.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

constexpr const char* kMetaDb = "/io.containerd.metadata.v1.bolt/meta.db";
constexpr const char* kDefaultRoot = "/var/lib/containerd";
constexpr const char* kDockerRoot = "/var/lib/docker/containerd/daemon";
constexpr int kAttempts = 3;
constexpr size_t kListedImages = 10;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 || errno == EACCES;
}

// The group that owns `path` or, when it cannot be seen, the nearest parent that can.
std::string OwningGroup(std::string path) {
  while (!path.empty()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (const struct group* g = ::getgrgid(st.st_gid)) return g->gr_name;
      return "gid " + std::to_string(st.st_gid);
    }
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) break;
    path.resize(slash);
  }
  return "root";
}

[[noreturn]] void ThrowNoPermission(const std::string& root, const std::string& path) {
  throw Error(ErrorKind::kIo, EACCES,
              "containerd root " + root + ": permission denied reading " + path +
                  ": reading containerd's images needs root, or membership of the group that "
                  "owns them (" +
                  OwningGroup(path) + ")");
}

// Runs `read` over the metadata database of `root` as of one transaction (see the file comment).
void ReadConsistently(const std::string& root, const std::function<void(const BoltFile&)>& read) {
  std::string path = root + kMetaDb;
  for (int attempt = 1;; ++attempt) {
    try {
      SourcePtr source;
      try {
        source = FileSource::Open(path);
      } catch (const Error& e) {
        if (e.errno_value() == EACCES) ThrowNoPermission(root, path);
        if (e.kind() == ErrorKind::kNotFound) {
          throw Error(ErrorKind::kNotFound, ENOENT,
                      "containerd root " + root + ": no metadata database " + path);
        }
        throw;
      }
      BoltFile bolt(source, path);
      read(bolt);
      if (bolt.CurrentTxid() == bolt.txid()) return;
      if (attempt >= kAttempts) {
        throw Error(ErrorKind::kIo, EAGAIN,
                    path + ": changed at every one of " + std::to_string(kAttempts) +
                        " reads (containerd is writing it): retry");
      }
    } catch (const Error& e) {
      bool maybe_changing = e.kind() == ErrorKind::kBadImage || e.kind() == ErrorKind::kIntegrity ||
                            (e.kind() == ErrorKind::kIo && e.errno_value() == EIO);
      if (!maybe_changing || attempt >= kAttempts) throw;
    }
  }
}

std::string ListOf(const std::vector<std::string>& names, size_t limit) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i) out += "\n  " + names[i];
  if (names.size() > limit) {
    out += "\n  (and " + std::to_string(names.size() - limit) + " more: imgmount images)";
  }
  return out;
}

std::string Where(const std::string& root, const std::string& ns) {
  return "namespace " + ns + " of containerd root " + root;
}

// The images bucket of `ns`; throws kNotFound listing the namespaces if there is no `ns`.
std::optional<BoltBucket> ImagesBucket(const BoltFile& bolt, const std::string& root,
                                       const std::string& ns) {
  std::optional<BoltBucket> v1 = bolt.Child(bolt.Root(), "v1");
  std::optional<BoltBucket> space = v1 ? bolt.Child(*v1, ns) : std::nullopt;
  if (!space) {
    std::vector<std::string> names;
    if (v1) {
      for (const BoltEntry& e : bolt.Entries(*v1)) {
        if (e.is_bucket) names.push_back(e.key);
      }
    }
    throw Error(ErrorKind::kNotFound, ENOENT,
                "containerd root " + root + ": no namespace \"" + ns + "\"" +
                    (names.empty() ? std::string("; it has no namespace at all")
                                   : "; choose one with --namespace:" + ListOf(names, 50)));
  }
  return bolt.Child(*space, "images");
}

std::optional<StoreImage> ReadRecord(const BoltFile& bolt, const BoltBucket& image,
                                     const std::string& ns, const std::string& name) {
  std::optional<BoltBucket> target = bolt.Child(image, "target");
  if (!target) return std::nullopt;
  StoreImage out;
  out.ns = ns;
  out.name = name;
  out.digest = bolt.Value(*target, "digest").value_or("");
  out.media_type = bolt.Value(*target, "mediatype").value_or("");
  std::optional<int64_t> size = DecodeGoVarint(bolt.Value(*target, "size").value_or(""));
  if (!size || *size < 0) {
    ThrowBadImage("containerd image " + name + " (namespace " + ns +
                  "): its target size is not a non-negative varint");
  }
  out.size = static_cast<uint64_t>(*size);
  return out;
}

void AddImages(const BoltFile& bolt, const BoltBucket& images, const std::string& ns,
               std::vector<StoreImage>& out) {
  for (const BoltEntry& entry : bolt.Entries(images)) {
    if (!entry.is_bucket) continue;
    if (auto record = ReadRecord(bolt, bolt.AsBucket(entry), ns, entry.key)) {
      out.push_back(std::move(*record));
    }
  }
}

bool IsDomain(const std::string& component) {
  return component.find_first_of(".:") != std::string::npos || component == "localhost";
}

// "docker.io/library/node" of "docker.io/library/node:20" or "...@sha256:..".
std::string RepositoryOf(const std::string& name) {
  std::string out = name.substr(0, name.find('@'));
  size_t slash = out.rfind('/');
  size_t colon = out.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    out.resize(colon);
  }
  return out;
}

}  // namespace

std::string NormalizeContainerdName(const std::string& name) {
  std::string rest = name;
  std::string domain = "docker.io";
  size_t slash = rest.find('/');
  if (slash != std::string::npos && IsDomain(rest.substr(0, slash))) {
    domain = rest.substr(0, slash);
    rest.erase(0, slash + 1);
  }
  if (domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
  std::string out = domain + "/" + rest;
  if (out.find('@') == std::string::npos && RepositoryOf(out) == out) out += ":latest";
  return out;
}

std::string ContainerdRoot(const ContainerdAccess& access) {
  if (!access.root.empty()) {
    if (!Exists(access.root)) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  "containerd root " + access.root + ": no such directory");
    }
    return access.root;
  }
  for (const char* root : {kDefaultRoot, kDockerRoot}) {
    if (Exists(std::string(root) + kMetaDb)) return root;
  }
  throw Error(ErrorKind::kNotFound, ENOENT,
              std::string("no containerd metadata in ") + kDefaultRoot + " or " + kDockerRoot +
                  "; give containerd's root with --containerd-root DIR");
}

std::string ContainerdNamespace(const ContainerdAccess& access, const std::string& root) {
  if (!access.ns.empty()) return access.ns;
  std::string trimmed = root;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  return trimmed.ends_with("/docker/containerd/daemon") ? "moby" : "default";
}

std::string ContentStoreDir(const std::string& root) {
  return root + "/io.containerd.content.v1.content";
}

std::vector<std::string> ReadNamespaces(const std::string& root) {
  std::vector<std::string> out;
  ReadConsistently(root, [&](const BoltFile& bolt) {
    out.clear();
    std::optional<BoltBucket> v1 = bolt.Child(bolt.Root(), "v1");
    if (!v1) return;
    for (const BoltEntry& e : bolt.Entries(*v1)) {
      if (e.is_bucket) out.push_back(e.key);
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<StoreImage> ReadStoreImages(const std::string& root, const std::string& ns) {
  std::vector<StoreImage> out;
  ReadConsistently(root, [&](const BoltFile& bolt) {
    out.clear();
    std::vector<std::string> spaces;
    if (!ns.empty()) {
      spaces.push_back(ns);
    } else if (std::optional<BoltBucket> v1 = bolt.Child(bolt.Root(), "v1")) {
      for (const BoltEntry& e : bolt.Entries(*v1)) {
        if (e.is_bucket) spaces.push_back(e.key);
      }
    }
    for (const std::string& space : spaces) {
      if (std::optional<BoltBucket> images = ImagesBucket(bolt, root, space)) {
        AddImages(bolt, *images, space, out);
      }
    }
  });
  return out;
}

StoreImage ResolveStoreImage(const std::string& root, const std::string& ns,
                             const std::string& name) {
  std::string normal = NormalizeContainerdName(name);
  std::optional<StoreImage> found;
  std::vector<std::string> names;
  ReadConsistently(root, [&](const BoltFile& bolt) {
    found.reset();
    names.clear();
    std::optional<BoltBucket> images = ImagesBucket(bolt, root, ns);
    if (!images) return;
    for (const std::string& candidate : {name, normal}) {
      if (std::optional<BoltBucket> image = bolt.Child(*images, candidate)) {
        found = ReadRecord(bolt, *image, ns, candidate);
        if (found) return;
      }
    }
    std::vector<StoreImage> all;
    AddImages(bolt, *images, ns, all);
    size_t at = normal.find('@');
    for (const StoreImage& image : all) {
      names.push_back(image.name);
      if (at != std::string::npos && !found && RepositoryOf(image.name) == RepositoryOf(normal) &&
          image.digest == normal.substr(at + 1)) {
        found = image;
      }
    }
  });
  if (found) return *found;
  std::string also = normal == name ? "" : " (nor \"" + normal + "\")";
  throw Error(ErrorKind::kNotFound, ENOENT,
              "no image \"" + name + "\"" + also + " in " + Where(root, ns) +
                  (names.empty() ? std::string("; it holds no image")
                                 : "; it holds:" + ListOf(names, kListedImages)));
}

}  // namespace imgmount
