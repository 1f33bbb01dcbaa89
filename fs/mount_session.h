// A mounted FUSE session serving one image, read-only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/view/lazy_image.h"

struct fuse_session;

namespace imgmount {

struct FsContext;

/// How to mount.
struct MountOptions {
  /// Where to mount (an existing directory).
  std::string mountpoint;
  /// Extra "-o" options passed through to FUSE (allow_other, ...).
  std::vector<std::string> fuse_options;
  /// Source name shown in /proc/mounts.
  std::string fsname = "imgmount";
  /// The image as asked for (absolute path, ":TAG" if given), told by the status attribute.
  std::string image_name;
  /// Label of each layer position, answered by getxattr(path, "user.imgmount.layer").
  std::vector<std::string> layer_labels;
  /// Print FUSE's debug log to stderr.
  bool debug = false;
};

/// A live mount. The mount is made by the constructor and removed by the destructor.
class MountSession {
 public:
  /// Mounts `image` (which may still be indexing) at options.mountpoint; throws a kMount Error
  /// when FUSE refuses.
  MountSession(std::shared_ptr<LazyImage> image, const MountOptions& options);
  ~MountSession();
  MountSession(const MountSession&) = delete;
  MountSession& operator=(const MountSession&) = delete;

  /// Serves requests on several threads until the mount is unmounted or SIGINT/SIGTERM/SIGHUP.
  /// Returns 0 on a clean end.
  int Serve();

 private:
  std::unique_ptr<FsContext> context_;
  fuse_session* session_ = nullptr;
  bool signals_set_ = false;
};

}  // namespace imgmount
