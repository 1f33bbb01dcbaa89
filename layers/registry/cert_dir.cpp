#include "layers/registry/cert_dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "layers/base/error.h"
#include "layers/registry/bounded_file.h"

namespace imgmount {
namespace {

constexpr size_t kMaxCertFileBytes = 8 << 20;

std::string ReadSmallFile(const std::string& path, const std::string& label) {
  std::optional<std::string> bytes = ReadBoundedFile(path, kMaxCertFileBytes, label + ": " + path);
  if (!bytes) throw Error(ErrorKind::kUsage, EINVAL, label + ": cannot read " + path);
  return *bytes;
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

CertDirFiles LoadCertDir(const std::string& dir, const std::string& system_bundle,
                         const std::string& label) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    throw Error(ErrorKind::kUsage, errno, label + " " + dir + ": " + std::strerror(errno));
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(d)) names.emplace_back(entry->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  CertDirFiles files;
  std::string extra;
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    if (!IsFile(path)) continue;
    if (name.ends_with(".crt")) {
      extra += ReadSmallFile(path, label) + "\n";
    } else if (name.ends_with(".cert") && files.client_cert.empty()) {
      std::string key = path.substr(0, path.size() - 5) + ".key";
      if (!IsFile(key)) {
        throw Error(ErrorKind::kUsage, ENOENT,
                    label + ": the client certificate " + path + " has no key " + key);
      }
      files.client_cert = path;
      files.client_key = key;
    }
  }
  if (!extra.empty()) {
    std::string system;
    if (!system_bundle.empty() && IsFile(system_bundle))
      system = ReadSmallFile(system_bundle, label);
    files.ca_bundle = system + "\n" + extra;
  }
  return files;
}

std::string DefaultCertDir(const std::string& registry) {
  if (registry.empty() || registry.find('/') != std::string::npos || registry == "." ||
      registry == "..") {
    return "";
  }
  for (const char* root : {"/etc/containers/certs.d/", "/etc/docker/certs.d/"}) {
    std::string dir = root + registry;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  }
  return "";
}

}  // namespace imgmount
