// Questions about mountpoints: is this directory usable for a new mount, and what is mounted on
// it now (from /proc/self/mountinfo); the source an imgmount mount shows there; and the
// read-ahead of a mount.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace imgmount {

/// One line of /proc/self/mountinfo.
struct MountEntry {
  /// Where it is mounted (absolute, unescaped).
  std::string mountpoint;
  /// "major:minor" of its device.
  std::string device;
  /// Filesystem type ("fuse.imgmount", ...).
  std::string type;
  /// Its source ("/images/node.tar:20,upto=3" for imgmount's: see MountSource).
  std::string source;
};

/// What an imgmount mount's source says: the image and the --upto layer.
struct MountSourceParts {
  /// The image's absolute path, and ":NAME" if one was chosen.
  std::string image;
  /// The --upto layer, 0 for all.
  size_t upto = 0;
};

/// The source an imgmount mount shows in /proc/mounts: `image` (absolute path[:NAME]) and
/// ",upto=N" when only the first N layers are mounted.
std::string MountSource(const std::string& image, size_t upto);

/// `source` as the fsname option of a FUSE mount: ',' and '\' escaped with a backslash.
std::string EscapeFuseOptionValue(const std::string& source);

/// Reads a source written by MountSource (or by older imgmounts, "imgmount:IMAGE").
MountSourceParts ParseMountSource(const std::string& source);

/// The mounts of this process's mount namespace, in mount order (later ones on top).
std::vector<MountEntry> ReadMountTable();

/// The filesystem type mounted exactly at `absolute_path` ("fuse.imgmount", ...), topmost first.
std::optional<std::string> MountedTypeAt(const std::string& absolute_path);

/// Sets the kernel's read-ahead for files of the mount at `absolute_path` to `kib` KiB (its
/// backing device's read_ahead_kb); does nothing where that is not allowed (only root may).
void RaiseReadahead(const std::string& absolute_path, unsigned kib);

/// Checks that `path` can take a new mount and returns its absolute form. Throws kNotFound or
/// kMount with a sentence saying what is wrong (missing, not a directory, already mounted,
/// stale FUSE mount) and what to do.
std::string CheckMountpoint(const std::string& path);

/// Throws kMount when FUSE cannot work here (/dev/fuse missing or not accessible).
void CheckFuseUsable();

}  // namespace imgmount
