// `imgmount diff IMAGE_A IMAGE_B [PATH]`: what changed between two images, without mounting.
// The default report reads like `diff -r -q --no-dereference` over the two root filesystems,
// with what changed in parentheses, plus attribute-only changes that diff cannot see. A PATH that
// exists in one image only is one "Only in" difference, as diff -r reports such an entry below
// the compared directories.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "index/union/path_history.h"
#include "index/union/path_resolver.h"
#include "index/view/tree_diff.h"
#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/config_diff.h"
#include "tools/json_output.h"
#include "tools/layer_summary.h"
#include "tools/listing_format.h"
#include "tools/path_messages.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

struct DiffArgs {
  ImageArgs a;
  ImageArgs b;
  std::string path = "/";
  bool json = false;
  bool stat = false;
  bool config = false;
  DiffOptions options;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

const char* KindName(MemberType type) {
  switch (type) {
    case MemberType::kDirectory:
      return "directory";
    case MemberType::kSymlink:
      return "symbolic link";
    case MemberType::kCharDevice:
      return "character special file";
    case MemberType::kBlockDevice:
      return "block special file";
    case MemberType::kFifo:
      return "fifo";
    default:
      return "regular file";
  }
}

// The image path of an entry reported at `path` below the compared PATH `base`, without "/".
std::string FullPath(const std::string& base, const std::string& path) {
  return base.empty() ? path : path.empty() ? base : base + "/" + path;
}

// "A/etc" for the image path `full` on side `root`, in the form diff -r prints.
std::string Under(const std::string& root, const std::string& full) {
  return full.empty() ? root : root + "/" + full;
}

// How a side is named in the report: its image argument, with "@N" for an --upto state.
std::string SideLabel(const ImageArgs& side) {
  if (side.view.upto == 0) return side.image;
  return side.image + "@" + std::to_string(side.view.upto);
}

void PrintText(const DiffArgs& args, const std::string& base, const std::vector<DiffEntry>& diff) {
  const std::string a = SideLabel(args.a);
  const std::string b = SideLabel(args.b);
  for (const DiffEntry& e : diff) {
    std::string full = FullPath(base, e.path);
    std::string parent(ParentPath(full));
    std::string name(BaseName(full));
    std::string pa = Under(a, full);
    std::string pb = Under(b, full);
    switch (e.kind) {
      case DiffEntry::Kind::kDeleted:
        std::printf("Only in %s: %s\n", Under(a, parent).c_str(), name.c_str());
        break;
      case DiffEntry::Kind::kAdded:
        std::printf("Only in %s: %s\n", Under(b, parent).c_str(), name.c_str());
        break;
      case DiffEntry::Kind::kModified: {
        bool content = std::find(e.what.begin(), e.what.end(), "content") != e.what.end();
        bool target = std::find(e.what.begin(), e.what.end(), "target") != e.what.end();
        if (e.type_a != e.type_b) {
          std::printf("File %s is a %s while file %s is a %s\n", pa.c_str(), KindName(e.type_a),
                      pb.c_str(), KindName(e.type_b));
        } else if (content) {
          std::printf("Files %s and %s differ (%s)\n", pa.c_str(), pb.c_str(),
                      Join(e.what).c_str());
        } else if (target) {
          std::printf("Symbolic links %s and %s differ (%s)\n", pa.c_str(), pb.c_str(),
                      Join(e.what).c_str());
        } else {
          std::printf("Attributes of %s and %s differ (%s)\n", pa.c_str(), pb.c_str(),
                      Join(e.what).c_str());
        }
        break;
      }
    }
  }
}

void PrintStat(const std::vector<DiffEntry>& diff) {
  struct Counts {
    size_t added = 0, deleted = 0, modified = 0;
  };
  std::map<std::string, Counts> by_dir;
  Counts total;
  for (const DiffEntry& e : diff) {
    std::string top = e.path.substr(0, e.path.find('/'));
    std::string key = e.path.find('/') == std::string::npos ? "." : top;
    Counts& c = by_dir[key];
    size_t& slot = e.kind == DiffEntry::Kind::kAdded     ? c.added
                   : e.kind == DiffEntry::Kind::kDeleted ? c.deleted
                                                         : c.modified;
    ++slot;
    ++(e.kind == DiffEntry::Kind::kAdded     ? total.added
       : e.kind == DiffEntry::Kind::kDeleted ? total.deleted
                                             : total.modified);
  }
  for (const auto& [dir, c] : by_dir) {
    std::printf("%-30s %6zu added %6zu deleted %6zu modified\n", dir.c_str(), c.added, c.deleted,
                c.modified);
  }
  std::printf("%-30s %6zu added %6zu deleted %6zu modified\n", "total", total.added, total.deleted,
              total.modified);
}

// Writes the attributes of inode `id` that `what` names (and its type), as `ls -l --json` names
// them; the content itself is not shown.
void WriteAttributes(JsonWriter& w, const UnionTree& tree, uint32_t id,
                     const std::vector<std::string>& what) {
  const UnionInode& node = tree.inode(id);
  auto has = [&](const char* name) {
    return std::find(what.begin(), what.end(), name) != what.end();
  };
  std::optional<TarMember> member = tree.member(id);
  w.StartObject();
  WriteString(w, "type", MemberTypeName(node.type));
  if (has("mode")) {
    WriteUint(w, "mode", node.mode);
    WriteString(w, "permissions", ModeString(node.type, node.mode));
  }
  if (has("uid")) WriteUint(w, "uid", node.uid);
  if (has("gid")) WriteUint(w, "gid", node.gid);
  if (has("links")) WriteUint(w, "nlink", node.nlink);
  if (has("size")) WriteUint(w, "size", node.size);
  if (has("target") && member) WriteString(w, "target", member->link_target);
  if (has("rdev") && member) {
    WriteUint(w, "rdev_major", member->dev_major);
    WriteUint(w, "rdev_minor", member->dev_minor);
  }
  if (has("mtime")) {
    w.Key("mtime");
    w.Int64(node.mtime_sec);
    WriteUint(w, "mtime_nsec", node.mtime_nsec);
  }
  w.EndObject();
}

std::string ToJson(const DiffSide& a, const DiffSide& b, const std::string& base,
                   const std::vector<DiffEntry>& diff, const std::vector<ConfigChange>& config) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("same");
  w.Bool(diff.empty() && config.empty());
  w.Key("changes");
  w.StartArray();
  for (const DiffEntry& e : diff) {
    w.StartObject();
    WriteString(w, "path", "/" + FullPath(base, e.path));
    WriteString(w, "change",
                e.kind == DiffEntry::Kind::kAdded     ? "added"
                : e.kind == DiffEntry::Kind::kDeleted ? "deleted"
                                                      : "modified");
    WriteStrings(w, "what", e.what);
    if (e.id_a != kNoIndex) {
      w.Key("old");
      WriteAttributes(w, *a.tree, e.id_a, e.what);
    }
    if (e.id_b != kNoIndex) {
      w.Key("new");
      WriteAttributes(w, *b.tree, e.id_b, e.what);
    }
    w.EndObject();
  }
  w.EndArray();
  WriteConfigChanges(w, config);
  w.EndObject();
  return JsonLine(buffer);
}

// The entry at `path` in the image shown as `label`, or nullopt where it has no such path.
std::optional<uint32_t> ResolveIfPresent(const UnionTree& tree, const std::string& path,
                                         const std::string& label) {
  try {
    return ResolveFollowing(tree, path, false);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound && e.errno_value() != ELOOP) return std::nullopt;
    ThrowPathError("diff", label, path, e);
  }
}

// "content hashes: 2 computed (1.5 MiB read), 3 reused, 1 cache file written".
std::string HashesNote(const ContentHashes::Counts& c) {
  return "content hashes: " + std::to_string(c.computed) + " computed (" + HumanSize(c.bytes_read) +
         " read), " + std::to_string(c.reused) + " reused, " + std::to_string(c.files_written) +
         " cache file" + (c.files_written == 1 ? "" : "s") + " written";
}

int Diff(DiffArgs& args) {
  ImageView view_a = OpenImageFromArgs(args.a);
  ImageView view_b = OpenImageFromArgs(args.b);
  auto base = NormalizeMemberPath(args.path);
  if (!base) UsageError("diff", "invalid path " + args.path);
  DiffSide a{view_a.tree.get(), ResolveIfPresent(*view_a.tree, *base, SideLabel(args.a))};
  DiffSide b{view_b.tree.get(), ResolveIfPresent(*view_b.tree, *base, SideLabel(args.b))};
  if (!a.root && !b.root) {
    throw Error(
        ErrorKind::kNotFound, ENOENT,
        PathMessage("diff", SideLabel(args.a) + " nor in " + SideLabel(args.b), *base, ENOENT));
  }
  bool verbose = args.a.verbose || args.b.verbose;
  ContentHashes hashes(args.a.quiet ? WarningSink{} : WarningSink(PrintWarning),
                       verbose ? WarningSink(PrintNote) : WarningSink{});
  args.options.hashes = &hashes;
  std::vector<DiffEntry> diff = DiffTrees(a, b, args.options);
  hashes.Save();
  if (verbose) PrintNote(HashesNote(hashes.counts()));
  std::vector<ConfigChange> config;
  if (args.config) config = DiffConfigs(view_a.image.config, view_b.image.config);
  if (args.json) {
    std::cout << ToJson(a, b, *base, diff, config);
  } else {
    if (args.stat) {
      PrintStat(diff);
    } else {
      PrintText(args, *base, diff);
    }
    for (const ConfigChange& change : config) std::printf("%s\n", ConfigChangeLine(change).c_str());
  }
  return diff.empty() && config.empty() ? 0 : 1;
}

}  // namespace

void AddDiffCommand(CommandLine& cli) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* diff = cli.AddVerb(
      {"diff",
       "compare two images, or two states of one, without mounting",
       {{"imgmount diff [OPTIONS] [A-OPTIONS] IMAGE_A [B-OPTIONS] IMAGE_B [PATH]"},
        "Compares below PATH (default /); two states of one image: --upto 3 IMG --upto 4 IMG.\n"
        "Global options apply to both images, except those between IMAGE_A and IMAGE_B, which\n"
        "apply to IMAGE_B only.\n"
        "Regular files of equal size are compared by SHA-256 content hashes, kept in the index\n"
        "cache beside each layer's index (not with --no-cache): later comparisons need not read\n"
        "them. A PATH that exists in one image only is reported as \"Only in\" (a difference).\n"
        "Exit status: 0 same, 1 different, 2 trouble (like diff).",
        GlobalUse::kImage}},
      [&cli, args] {
        args->a = cli.ImageOptions(args->a.image, 0, 2);
        args->b = cli.ImageOptions(args->b.image, 1, 2);
        // diff(1) convention: any trouble exits 2, whatever its kind.
        int code = RunReportingErrors([&] { return Diff(*args); });
        return code > 1 ? 2 : code;
      });
  diff->add_flag("--json", args->json,
                 "one JSON object: same, changes (each with path, change: added, deleted or "
                 "modified, what, and old / new: type and the changed attributes as ls -l --json "
                 "names them) and config (each with field, old and new)");
  diff->add_flag("--stat", args->stat, "a summary by directory");
  diff->add_flag("--config", args->config,
                 "also compare the configs (Env, Cmd, Entrypoint, ...), showing both values");
  diff->add_flag("--ignore-mtime", args->options.ignore_mtime,
                 "modification times alone do not make a difference");
  CLI::Option* image_a = diff->add_option("IMAGE_A", args->a.image, "the first image")->required();
  CLI::Option* image_b = diff->add_option("IMAGE_B", args->b.image, "the second image")->required();
  diff->add_option("PATH", args->path, "where to compare (default /)");
  diff->preparse_callback([&cli, image_a, image_b](size_t) {
    cli.CountImagesWith([image_a, image_b] { return image_a->count() + image_b->count(); });
  });
}

}  // namespace imgmount
