// The imgmount commands; each takes the arguments after its name and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace imgmount {

/// `imgmount ls [-l] [-R] [-a] IMAGE [PATH]`: list a directory of the union view.
int RunLs(const std::vector<std::string>& args);

/// `imgmount cat IMAGE PATH...`: write files of the union view to stdout.
int RunCat(const std::vector<std::string>& args);

/// `imgmount inspect [--json] IMAGE`: format, names, platforms, config, layers and history.
int RunInspect(const std::vector<std::string>& args);

/// `imgmount history [--no-trunc] [--human=false] [--json] IMAGE`: the history, as docker's.
int RunHistory(const std::vector<std::string>& args);

/// `imgmount config IMAGE`: the config JSON as stored.
int RunConfig(const std::vector<std::string>& args);

/// `imgmount manifest [--index] IMAGE`: the image manifest (or index) as stored.
int RunManifest(const std::vector<std::string>& args);

/// `imgmount images [--json] [--no-trunc] IMAGE_FILE`: every image and platform of a file.
int RunImages(const std::vector<std::string>& args);

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
