// Named fixture images, defined as layers of tar entries, plus small helpers so that tests can
// define their own scenarios in a few lines: fill Scenario::layers with FileEntry / DirEntry /
// WhiteoutEntry ... values, turn it into an ImageSpec with BuildImageSpec, and write it with
// WriteImages in any format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/image_writer.h"
#include "tests/support/tar_writer.h"

namespace imgmount::fixture {

/// Modification time the entry helpers give every entry (2023-11-14T22:13:20Z).
inline constexpr int64_t kScenarioMtime = 1700000000;

/// A regular file entry.
TarEntry FileEntry(const std::string& path, const std::string& content, uint32_t mode = 0644);

/// A directory entry; a trailing slash is added to the path when missing.
TarEntry DirEntry(const std::string& path, uint32_t mode = 0755);

/// A symbolic link entry.
TarEntry SymlinkEntry(const std::string& path, const std::string& target);

/// A hard link entry to `target`, carrying the target entry's metadata as real tars do.
TarEntry HardlinkEntry(const std::string& path, const TarEntry& target);

/// A character or block device entry.
TarEntry DeviceEntry(const std::string& path, TarType type, uint32_t major, uint32_t minor,
                     uint32_t mode);

/// A fifo entry.
TarEntry FifoEntry(const std::string& path, uint32_t mode = 0644);

/// A whiteout of `path` (an empty file `.wh.<name>` in the same directory).
TarEntry WhiteoutEntry(const std::string& path);

/// The opaque marker `<dir>/.wh..wh..opq` of a directory.
TarEntry OpaqueEntry(const std::string& dir);

/// A fixture image: named layers of entries and a config.
struct Scenario {
  std::string name;                           ///< name used on the command line
  std::string description;                    ///< one line for --help
  ImageConfig config;                         ///< config; history must match the layers
  std::vector<std::vector<TarEntry>> layers;  ///< entries of each layer, bottom first
};

/// Inserts a directory entry before the first child of each directory the layer does not
/// declare, copying the attributes of the latest declaration in `known_dirs` (updated here).
std::vector<TarEntry> WithParents(const std::vector<TarEntry>& layer,
                                  std::map<std::string, TarEntry>& known_dirs);

/// Names of the built-in scenarios.
std::vector<std::string> ScenarioNames();

/// One built-in scenario by name; throws std::invalid_argument for an unknown name.
Scenario GetScenario(std::string_view name);

/// The `sample` scenario (see scenario_sample.cpp for what each path tests).
Scenario SampleScenario();

/// `sample` plus a top layer that adds, changes and deletes a few paths.
Scenario SamplePlusScenario();

/// Serialises the layers of a scenario into tars.
PlatformImage BuildPlatformImage(const Scenario& scenario, const TarOptions& options = {});

/// A single-platform image of a scenario with the given references.
ImageSpec BuildImageSpec(const Scenario& scenario, const std::vector<std::string>& tags);

/// Adds a second platform to `spec`: the scenario plus a top layer whose file
/// /etc/imgmount-platform names the platform.
void AddPlatform(ImageSpec& spec, const Scenario& scenario, const std::string& os,
                 const std::string& architecture, const std::string& variant);

}  // namespace imgmount::fixture
