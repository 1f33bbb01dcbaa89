// Entry helpers, parent completion, the scenario registry and scenario serialisation.
#include <set>
#include <stdexcept>

#include "tests/support/scenarios.h"

namespace imgmount::fixture {
namespace {

// A path without leading "./" or "/" and without trailing slashes; the root is "".
std::string PathKey(const std::string& path) {
  size_t begin = 0;
  while (true) {
    if (path.compare(begin, 2, "./") == 0) {
      begin += 2;
    } else if (begin < path.size() && path[begin] == '/') {
      ++begin;
    } else {
      break;
    }
  }
  size_t end = path.size();
  while (end > begin && path[end - 1] == '/') --end;
  std::string key = path.substr(begin, end - begin);
  return key == "." ? std::string() : key;
}

// The leading "./" or "/" of a path, reused for the parents inserted before it.
std::string PathStyle(const std::string& path) {
  if (path.compare(0, 2, "./") == 0) return "./";
  if (!path.empty() && path[0] == '/') return "/";
  return "";
}

// Directory part and last component of a path key.
std::pair<std::string, std::string> SplitKey(const std::string& key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

TarEntry FileEntry(const std::string& path, const std::string& content, uint32_t mode) {
  TarEntry e;
  e.path = path;
  e.content = content;
  e.mode = mode;
  e.mtime = kScenarioMtime;
  return e;
}

TarEntry DirEntry(const std::string& path, uint32_t mode) {
  TarEntry e;
  e.path = path.empty() || path.back() != '/' ? path + "/" : path;
  e.type = TarType::kDirectory;
  e.mode = mode;
  e.mtime = kScenarioMtime;
  return e;
}

TarEntry SymlinkEntry(const std::string& path, const std::string& target) {
  TarEntry e;
  e.path = path;
  e.type = TarType::kSymlink;
  e.mode = 0777;
  e.link_target = target;
  e.mtime = kScenarioMtime;
  return e;
}

TarEntry HardlinkEntry(const std::string& path, const TarEntry& target) {
  TarEntry e = target;
  e.path = path;
  e.type = TarType::kHardlink;
  e.link_target = target.path;
  e.content.clear();
  e.sparse.reset();
  e.xattrs.clear();
  e.extra_pax.clear();
  return e;
}

TarEntry DeviceEntry(const std::string& path, TarType type, uint32_t major, uint32_t minor,
                     uint32_t mode) {
  if (type != TarType::kCharDevice && type != TarType::kBlockDevice) {
    throw std::invalid_argument("DeviceEntry needs a device type");
  }
  TarEntry e;
  e.path = path;
  e.type = type;
  e.dev_major = major;
  e.dev_minor = minor;
  e.mode = mode;
  e.mtime = kScenarioMtime;
  return e;
}

TarEntry FifoEntry(const std::string& path, uint32_t mode) {
  TarEntry e;
  e.path = path;
  e.type = TarType::kFifo;
  e.mode = mode;
  e.mtime = kScenarioMtime;
  return e;
}

TarEntry WhiteoutEntry(const std::string& path) {
  const auto [dir, name] = SplitKey(PathKey(path));
  const std::string style = PathStyle(path);
  return FileEntry(style + (dir.empty() ? "" : dir + "/") + ".wh." + name, "", 0644);
}

TarEntry OpaqueEntry(const std::string& dir) {
  const std::string key = PathKey(dir);
  return FileEntry(PathStyle(dir) + (key.empty() ? "" : key + "/") + ".wh..wh..opq", "", 0644);
}

std::vector<TarEntry> WithParents(const std::vector<TarEntry>& layer,
                                  std::map<std::string, TarEntry>& known_dirs) {
  std::vector<TarEntry> out;
  std::set<std::string> declared{""};
  for (const TarEntry& e : layer) {
    const std::string key = PathKey(e.path);
    const std::string style = PathStyle(e.path);
    for (size_t slash = key.find('/'); slash != std::string::npos;
         slash = key.find('/', slash + 1)) {
      const std::string parent = key.substr(0, slash);
      if (!declared.insert(parent).second) continue;
      auto known = known_dirs.find(parent);
      TarEntry dir = known != known_dirs.end() ? known->second : DirEntry(parent);
      dir.path = style + parent + "/";
      known_dirs[parent] = dir;
      out.push_back(dir);
    }
    if (e.type == TarType::kDirectory) {
      declared.insert(key);
      known_dirs[key] = e;
    } else {
      const auto [dir, name] = SplitKey(key);
      if (name.rfind(".wh.", 0) == 0 && name != ".wh..wh..opq") {
        const std::string gone = (dir.empty() ? "" : dir + "/") + name.substr(4);
        known_dirs.erase(gone);
        for (auto it = known_dirs.lower_bound(gone + "/");
             it != known_dirs.end() && it->first.compare(0, gone.size() + 1, gone + "/") == 0;) {
          it = known_dirs.erase(it);
        }
      }
    }
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> ScenarioNames() {
  return {"sample", "sample-plus"};
}

Scenario GetScenario(std::string_view name) {
  if (name == "sample") return SampleScenario();
  if (name == "sample-plus") return SamplePlusScenario();
  throw std::invalid_argument("unknown scenario '" + std::string(name) +
                              "' (expected sample or sample-plus)");
}

PlatformImage BuildPlatformImage(const Scenario& scenario, const TarOptions& options) {
  PlatformImage image;
  image.config = scenario.config;
  for (const std::vector<TarEntry>& layer : scenario.layers) {
    image.layers.push_back(BuildTar(layer, options));
    image.layer_entries.push_back(layer);
  }
  return image;
}

ImageSpec BuildImageSpec(const Scenario& scenario, const std::vector<std::string>& tags) {
  ImageSpec spec;
  spec.tags = tags;
  spec.platforms.push_back(BuildPlatformImage(scenario));
  return spec;
}

void AddPlatform(ImageSpec& spec, const Scenario& scenario, const std::string& os,
                 const std::string& architecture, const std::string& variant) {
  PlatformImage image = BuildPlatformImage(scenario);
  const std::string platform = os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
  image.layer_entries.push_back(
      {DirEntry("etc"), FileEntry("etc/imgmount-platform", platform + "\n")});
  image.layers.push_back(BuildTar(image.layer_entries.back()));
  image.config.os = os;
  image.config.architecture = architecture;
  image.config.variant = variant;
  if (!image.config.history.empty()) {
    image.config.history.push_back(
        {image.config.created, "COPY imgmount-platform /etc/", "", false});
  }
  spec.platforms.push_back(std::move(image));
}

}  // namespace imgmount::fixture
