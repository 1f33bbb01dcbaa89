// The mount itself (tools/mount_command.cpp): what `imgmount [mount] IMAGE MOUNTPOINT` was asked
// for, and the call that mounts. Its command line is tools/mount_verb.cpp.
#pragma once

#include "fs/mount_session.h"
#include "tools/cli_common.h"

namespace imgmount {

/// Everything a mount was asked for.
struct MountArgs {
  ImageArgs image;
  MountOptions mount;
  bool foreground = false;
  /// --wait: return once every layer is indexed (unmounting again if one fails).
  bool wait = false;
};

/// Mounts as `parsed` says and returns the exit code: in the foreground (-f) once unmounted,
/// else once the mount is usable (or, when watching, once the indexing has ended).
int Mount(MountArgs& parsed);

}  // namespace imgmount
