// The imgmount commands. Each verb file declares its subcommand, its own options and its
// positionals on the command line (tools/command_line.h) in AddXCommand; its body runs once the
// whole command line is parsed and returns the exit code.
#pragma once

#include <string>

namespace imgmount {

class CommandLine;

/// `imgmount ls [-l] [-R] [-a] IMAGE [PATH]`: list a directory of the union view.
void AddLsCommand(CommandLine& cli);

/// `imgmount cat IMAGE PATH...`: write files of the union view to stdout.
void AddCatCommand(CommandLine& cli);

/// `imgmount inspect [--json] IMAGE`: format, names, platforms, config, layers and history.
void AddInspectCommand(CommandLine& cli);

/// `imgmount history [--no-trunc] [--human=false] [--json] IMAGE`: the history, as docker's.
void AddHistoryCommand(CommandLine& cli);

/// `imgmount config IMAGE`: the config JSON as stored.
void AddConfigCommand(CommandLine& cli);

/// `imgmount manifest [--index] IMAGE`: the image manifest (or index) as stored.
void AddManifestCommand(CommandLine& cli);

/// `imgmount images [--json] [--no-trunc] IMAGE_FILE`: every image and platform of a file.
void AddImagesCommand(CommandLine& cli);

/// `imgmount export IMAGE OUT.tar`: the flattened root filesystem as one tar.
void AddExportCommand(CommandLine& cli);

/// `imgmount verify IMAGE`: check every digest; exit 1 on any mismatch.
void AddVerifyCommand(CommandLine& cli);

/// `imgmount which IMAGE PATH`: the layer that supplies a path and what the others did to it.
void AddWhichCommand(CommandLine& cli);

/// `imgmount diff IMAGE_A IMAGE_B [PATH]`: differences; exit 0 same, 1 different, 2 trouble.
void AddDiffCommand(CommandLine& cli);

/// `imgmount cache ls|gc [--days N]|clear`: look after the index cache.
void AddCacheCommand(CommandLine& cli);

/// `imgmount status [--json] [MNT...]`: this machine's mounts and how their indexing stands.
void AddStatusCommand(CommandLine& cli);

/// `imgmount [mount] [options] IMAGE MOUNTPOINT`: mount (links FUSE; see mount_command.cpp).
void AddMountCommand(CommandLine& cli);

/// `imgmount -u [-z] MOUNTPOINT` (the hidden verb "unmount"): unmount.
void AddUnmountCommand(CommandLine& cli);

/// Unmounts the imgmount mount at `mountpoint` (lazily: detached now, finished once unused).
void Unmount(const std::string& mountpoint, bool lazy);

}  // namespace imgmount
