// `imgmount status [--json] [MNT...]`: this machine's imgmount mounts (those of this mount
// namespace, from /proc/self/mountinfo: type fuse.imgmount), each asked for its state through
// the "user.imgmount.status" attribute of its root (index/view/mount_status.h). A mount whose
// daemon is gone is failed; one that does not let this user ask (another user's mount without
// allow_other) or does not answer the attribute (an older imgmount) is unknown.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "index/view/mount_status.h"
#include "layers/base/error.h"
#include "tools/bounded_getxattr.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/mount_table.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kImgmountType = "fuse.imgmount";
constexpr const char* kStatusAttribute = "user.imgmount.status";

// One mount and what it said.
struct MountRow {
  std::string mountpoint;
  /// What the daemon said; without it, `state` and `error` say why not.
  std::optional<MountStatus> status;
  /// "indexing", "complete", "failed" or "unknown".
  std::string state;
  std::string error;
  /// The image and the --upto layer from the mount's source (the image also when the daemon
  /// cannot be asked).
  MountSourceParts source;
};

// How long a mount may take to answer: a stopped or stuck daemon must not hang `status`.
constexpr int kAnswerTimeoutMs = 5000;

MountRow AskMount(const MountEntry& entry) {
  MountRow row;
  row.mountpoint = entry.mountpoint;
  row.source = ParseMountSource(entry.source);
  AttributeAnswer answer =
      ReadAttributeWithin(entry.mountpoint, kStatusAttribute, kAnswerTimeoutMs);
  const std::optional<std::string>& text = answer.value;
  if (!text) {
    int e = answer.error;
    row.state = "unknown";
    if (answer.timed_out) {
      row.error = "the daemon did not answer within " + std::to_string(kAnswerTimeoutMs / 1000) +
                  " s (stopped or stuck; imgmount -u -z " + entry.mountpoint + " detaches it)";
    } else if (e == ENOTCONN) {
      row.state = "failed";
      row.error =
          "the daemon serving the mount is gone (unmount it: imgmount -u " + entry.mountpoint + ")";
    } else if (e == EACCES || e == EPERM) {
      row.error = "this user may not ask it (another user's mount, without allow_other)";
    } else if (e == ENODATA || e == ENOTSUP) {
      row.error = "the mount does not tell its state (mounted by an older imgmount)";
    } else {
      row.error = std::string("cannot ask it: ") + std::strerror(e);
    }
    return row;
  }
  try {
    row.status = DecodeMountStatus(*text, entry.mountpoint + ": " + kStatusAttribute);
    row.state = StateName(row.status->state);
    row.error = row.status->error;
  } catch (const Error& e) {
    row.state = "unknown";
    row.error = std::string("its answer is not understood: ") + e.what();
  }
  return row;
}

// The absolute form of `path`, even where stat() fails (a mount whose daemon is gone).
std::string AbsoluteMountpoint(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) != nullptr) return resolved;
  std::string absolute = path;
  if (!path.starts_with("/")) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) absolute = std::string(cwd) + "/" + path;
  }
  while (absolute.size() > 1 && absolute.ends_with("/")) absolute.pop_back();
  return absolute;
}

// `path` made absolute by resolving its parent directory only, so that the last component (a
// mountpoint, perhaps of a stuck daemon) is not looked at; "" if the parent cannot be resolved.
std::string AbsoluteWithoutEntering(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.ends_with("/")) trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  std::string parent = slash == std::string::npos ? "." : trimmed.substr(0, slash == 0 ? 1 : slash);
  std::string base = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") return "";
  char resolved[PATH_MAX];
  if (::realpath(parent.c_str(), resolved) == nullptr) return "";
  std::string absolute = resolved;
  return absolute == "/" ? "/" + base : absolute + "/" + base;
}

// The topmost mount of every mountpoint, imgmount's only; in mount order.
std::vector<MountEntry> ImgmountMounts() {
  std::vector<MountEntry> table = ReadMountTable();
  std::vector<MountEntry> mounts;
  for (size_t i = 0; i < table.size(); ++i) {
    bool covered = false;
    for (size_t j = i + 1; j < table.size(); ++j) {
      if (table[j].mountpoint == table[i].mountpoint) covered = true;
    }
    if (!covered && table[i].type == kImgmountType) mounts.push_back(table[i]);
  }
  return mounts;
}

// The imgmount mount at `path`; throws kNotFound naming `path` if there is none.
MountEntry MountAt(const std::string& path, const std::vector<MountEntry>& mounts) {
  // First without looking at the mount itself (a stuck daemon would hang that), then resolved.
  for (const std::string& absolute : {AbsoluteWithoutEntering(path), AbsoluteMountpoint(path)}) {
    for (const MountEntry& mount : mounts) {
      if (mount.mountpoint == absolute) return mount;
    }
  }
  std::string absolute = AbsoluteMountpoint(path);
  std::optional<std::string> type = MountedTypeAt(absolute);
  std::string what = type ? "it is a " + *type + " mount" : "nothing is mounted there";
  if (!type && ::access(absolute.c_str(), F_OK) != 0 && errno == ENOENT) what = "it does not exist";
  throw Error(ErrorKind::kNotFound, ENOENT,
              "status: " + absolute + " is not an imgmount mount (" + what + ")");
}

std::string StateText(const MountRow& row) {
  if (row.state == "indexing" && row.status) {
    return "indexing " + std::to_string(row.status->Percent()) + "%";
  }
  return row.error.empty() ? row.state : row.state + ": " + row.error;
}

std::string ImageOf(const MountRow& row) {
  return row.status ? row.status->image : row.source.image;
}

void PrintText(const std::vector<MountRow>& rows) {
  std::vector<std::vector<std::string>> lines = {{"MOUNTPOINT", "IMAGE", "LAYERS", "STATE"}};
  for (const MountRow& row : rows) {
    std::string layers = "-";
    if (row.status && !row.status->layers.empty()) {
      layers = std::to_string(row.status->LayersReady()) + "/" +
               std::to_string(row.status->layers.size());
    }
    lines.push_back(
        {row.mountpoint, MountSource(ImageOf(row), row.source.upto), layers, StateText(row)});
  }
  std::vector<size_t> width(3, 0);
  for (const auto& line : lines) {
    for (size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], line[c].size());
  }
  for (const auto& line : lines) {
    std::string text;
    for (size_t c = 0; c < width.size(); ++c) {
      text += line[c] + std::string(width[c] - line[c].size() + 2, ' ');
    }
    std::printf("%s%s\n", text.c_str(), line[3].c_str());
  }
}

void PrintJson(const std::vector<MountRow>& rows) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("mounts");
  w.StartArray();
  for (const MountRow& row : rows) {
    w.StartObject();
    WriteString(w, "mountpoint", row.mountpoint);
    WriteString(w, "image", ImageOf(row));
    WriteUintOrNull(w, "upto",
                    row.source.upto != 0 ? std::optional<uint64_t>(row.source.upto) : std::nullopt);
    w.Key("pid");
    if (row.status) {
      w.Int64(row.status->pid);
    } else {
      w.Null();
    }
    WriteString(w, "state", row.state);
    const MountStatus empty;
    const MountStatus& status = row.status ? *row.status : empty;
    WriteUint(w, "percent", status.Percent());
    WriteUint(w, "layers_indexed", status.LayersReady());
    WriteUint(w, "layers_total", status.layers.size());
    WriteStringOrNull(w, "error", row.error);
    w.Key("layers");
    w.StartArray();
    for (size_t k = 0; k < status.layers.size(); ++k) {
      const MountStatus::Layer& layer = status.layers[k];
      w.StartObject();
      WriteUint(w, "layer", k + 1);
      WriteStringOrNull(w, "digest", layer.digest);
      WriteString(w, "state", StateName(layer.state));
      WriteUint(w, "done", layer.done);
      WriteUint(w, "total", layer.total);
      WriteStringOrNull(w, "error", layer.error);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::cout << JsonLine(buffer);
}

// Reports on `paths` (every imgmount mount if none); exit code 0 if all are fine, 1 if not.
int Status(const std::vector<std::string>& paths, bool json) {
  std::vector<MountEntry> mounts = ImgmountMounts();
  if (!paths.empty()) {
    std::vector<MountEntry> chosen;
    for (const std::string& path : paths) chosen.push_back(MountAt(path, mounts));
    mounts = std::move(chosen);
  }
  std::vector<MountRow> rows;
  bool all_fine = true;
  for (const MountEntry& mount : mounts) {
    rows.push_back(AskMount(mount));
    if (rows.back().state != "indexing" && rows.back().state != "complete") all_fine = false;
  }
  if (json) {
    PrintJson(rows);
  } else {
    PrintText(rows);
  }
  return all_fine ? 0 : 1;
}

}  // namespace

void AddStatusCommand(CommandLine& cli) {
  struct Args {
    std::vector<std::string> paths;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* status = cli.AddVerb(
      {"status",
       "list the imgmount mounts here and how their indexing stands",
       {{"imgmount status [--json] [MNT...]"},
        "For each mount (or only MNT): mountpoint, image (its absolute path, \":TAG\" if one was\n"
        "chosen, \",upto=N\" if mounted with --upto: the mount's source in /proc/mounts), layers\n"
        "indexed of all, and state: indexing N% (of the layers' bytes), complete, failed: WHY (a\n"
        "layer that failed to index: paths that need it fail with EIO; or a daemon that is gone),\n"
        "or unknown: WHY (another user's mount without allow_other, or an older imgmount).\n"
        "Exit status: 0 every mount listed is indexing or complete (or there is none), 1 one\n"
        "failed or could not tell its state, 2 bad usage, 3 an MNT that is not an imgmount mount.",
        GlobalUse::kNone}},
      [args] { return Status(args->paths, args->json); });
  status->add_flag("--json", args->json,
                   "one JSON object: mounts, each with mountpoint, image (without upto), upto (N, "
                   "or null for all layers), pid, state (indexing, complete, failed, unknown), "
                   "percent, layers_indexed, layers_total, error (null unless failed or unknown) "
                   "and layers (bottom first: layer, digest, state (queued, indexing, ready, "
                   "failed), done and total bytes, error)");
  status->add_option("MNT", args->paths, "mountpoints to report on (default: every one)");
}

}  // namespace imgmount
