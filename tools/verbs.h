// The imgmount commands. Each verb file declares its subcommand, options and positionals on the
// command line (tools/command_line.h) with AddXCommand; its body runs once the command line is
// parsed and returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace imgmount {

class CommandLine;

/// `imgmount ls [-l] [-R] [-a] IMAGE [PATH]`: list a directory of the union view.
void AddLsCommand(CommandLine& cli);

/// `imgmount cat IMAGE PATH...`: write files of the union view to stdout.
void AddCatCommand(CommandLine& cli);

/// `imgmount inspect [--json] IMAGE`: format, names, platforms, config, layers and history.
int RunInspect(const std::vector<std::string>& args);

/// `imgmount export IMAGE OUT.tar`: the flattened root filesystem as one tar.
int RunExport(const std::vector<std::string>& args);

/// `imgmount verify IMAGE`: check every digest; exit 1 on any mismatch.
int RunVerify(const std::vector<std::string>& args);

/// `imgmount which IMAGE PATH`: the layer that supplies a path and what the others did to it.
int RunWhich(const std::vector<std::string>& args);

/// `imgmount diff IMAGE_A IMAGE_B [PATH]`: differences; exit 0 same, 1 different, 2 trouble.
int RunDiff(const std::vector<std::string>& args);

/// `imgmount cache ls|gc [--days N]|clear`: look after the index cache.
int RunCache(const std::vector<std::string>& args);

/// `imgmount status [--json] [MNT...]`: this machine's mounts and how their indexing stands.
int RunStatus(const std::vector<std::string>& args);

/// `imgmount [options] IMAGE MOUNTPOINT`: mount (links FUSE; see mount_command.cpp).
int RunMount(const std::vector<std::string>& args);

/// `imgmount -u [-z] MOUNTPOINT`: unmount.
int RunUnmount(const std::vector<std::string>& args);

}  // namespace imgmount
