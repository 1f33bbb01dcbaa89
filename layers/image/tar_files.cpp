// Members of an outer tar are resolved like paths in a directory: symlinks and hardlinks inside
// the archive are followed (at most 40 hops), and any that would leave the archive is refused.
#include "layers/image/tar_files.h"

#include <map>

#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "layers/codecs/codec_choice.h"
#include "layers/image/archive_index.h"
#include "layers/source/basic_sources.h"
#include "layers/tar/tar_walker.h"

namespace imgmount {
namespace {

constexpr int kMaxLinkHops = 40;

using OuterMember = ArchiveMember;

class TarFiles final : public ImageFiles {
 public:
  TarFiles(SourcePtr stream, std::map<std::string, OuterMember> members, std::string name,
           std::string kind)
      : stream_(std::move(stream)),
        members_(std::move(members)),
        name_(std::move(name)),
        kind_(std::move(kind)) {}

  SourcePtr Open(const std::string& path) const override {
    const OuterMember& member = Resolve(path);
    if (member.kind != OuterMember::kFile) {
      ThrowBadImage(name_ + ":" + path + ": is not a regular file in the archive");
    }
    return std::make_shared<SliceSource>(stream_, member.offset, member.size, name_ + ":" + path);
  }

  bool Exists(const std::string& path) const override {
    try {
      return Resolve(path).kind == OuterMember::kFile;
    } catch (const Error&) {
      return false;
    }
  }

  const std::string& name() const override { return name_; }
  std::string Kind() const override { return kind_; }

 private:
  // Resolves `path`, following symlinks in any component and hardlinks at the end.
  const OuterMember& Resolve(const std::string& path) const {
    auto normalized = NormalizeMemberPath(path);
    if (!normalized) ThrowBadImage(name_ + ": invalid member path \"" + path + "\"");
    std::string pending = *normalized;
    std::string done;
    int hops = 0;
    while (true) {
      if (pending.empty()) break;
      size_t slash = pending.find('/');
      std::string part = pending.substr(0, slash);
      pending = slash == std::string::npos ? "" : pending.substr(slash + 1);
      std::string candidate = done.empty() ? part : done + "/" + part;
      auto it = members_.find(candidate);
      if (it != members_.end() && it->second.kind == OuterMember::kSymlink) {
        if (++hops > kMaxLinkHops) ThrowBadImage(name_ + ":" + path + ": too many symlink hops");
        auto target = JoinInside(done, it->second.link);
        if (!target) {
          ThrowBadImage(name_ + ":" + path + ": symlink " + candidate + " -> " + it->second.link +
                        " leads outside the archive");
        }
        pending = pending.empty() ? *target : *target + "/" + pending;
        done.clear();
        continue;
      }
      done = candidate;
    }
    auto it = members_.find(done);
    while (it != members_.end() && it->second.kind == OuterMember::kHardlink) {
      if (++hops > kMaxLinkHops) ThrowBadImage(name_ + ":" + path + ": too many link hops");
      it = members_.find(it->second.link);
    }
    if (it == members_.end()) {
      throw Error(ErrorKind::kNotFound, ENOENT, name_ + ": no member " + path + " in the archive");
    }
    return it->second;
  }

  SourcePtr stream_;
  std::map<std::string, OuterMember> members_;
  std::string name_;
  std::string kind_;
};

OuterMember::Kind KindOf(const TarHeader& header) {
  switch (header.kind()) {
    case TarEntryKind::kRegular:
      // A sparse member with holes is not a slice of the stream; no image format stores one.
      return header.stored_size == static_cast<uint64_t>(header.size) ? OuterMember::kFile
                                                                      : OuterMember::kOther;
    case TarEntryKind::kDirectory:
      return OuterMember::kDirectory;
    case TarEntryKind::kSymlink:
      return OuterMember::kSymlink;
    case TarEntryKind::kHardlink:
      return OuterMember::kHardlink;
    default:
      return OuterMember::kOther;
  }
}

// Checks that every file's data lies inside the stream.
void CheckMembers(const std::map<std::string, OuterMember>& members, uint64_t stream_size,
                  const std::string& name) {
  for (const auto& [path, member] : members) {
    if (member.kind == OuterMember::kFile &&
        (member.offset > stream_size || member.size > stream_size - member.offset)) {
      ThrowBadImage(name + ": member " + path + " extends past the end of the archive");
    }
  }
}

std::string KindName(Codec codec) {
  return codec == Codec::kNone ? "tar" : std::string(CodecName(codec)) + "-compressed tar";
}

// Reuses a stored index of the archive, or returns null if there is none that fits.
std::unique_ptr<ImageFiles> FromStored(const SourcePtr& file, const std::string& name,
                                       const DecodeOptions& options,
                                       const ArchiveIndexHooks& hooks) {
  std::optional<LoadedArchive> stored = hooks.load ? hooks.load() : std::nullopt;
  if (!stored) return nullptr;
  try {
    SourcePtr stream = OpenIndexed(file, stored->index.stream, name, options, stored->local_copy);
    CheckMembers(stored->index.members, stream->Size(), name);
    return std::make_unique<TarFiles>(std::move(stream), std::move(stored->index.members), name,
                                      KindName(stored->index.stream.codec));
  } catch (const Error& e) {
    if (hooks.rejected) hooks.rejected(e.what());
    return nullptr;
  }
}

}  // namespace

std::unique_ptr<ImageFiles> OpenTarFiles(SourcePtr file, const std::string& name,
                                         const ArchiveIndexHooks* hooks) {
  Codec codec = SniffCodec(*file);
  DecodeOptions options;
  options.hash = false;
  bool cached = hooks != nullptr && codec != Codec::kNone;
  if (cached) {
    if (auto files = FromStored(file, name, options, *hooks)) return files;
  }
  auto pass = StartDecodePass(file, codec, name, options);
  std::map<std::string, OuterMember> members;
  {
    TarWalker walker(*pass, name);
    while (const TarHeader* header = walker.Next()) {
      auto path = CleanMemberPath(header->name);
      if (!path || path->empty()) continue;
      OuterMember member;
      member.kind = KindOf(*header);
      member.offset = header->data_offset;
      member.size = member.kind == OuterMember::kFile ? header->stored_size : 0;
      if (member.kind == OuterMember::kSymlink) {
        member.link = header->linkname;
      } else if (member.kind == OuterMember::kHardlink) {
        auto target = CleanMemberPath(header->linkname);
        if (!target) continue;
        member.link = *target;
      }
      members[*path] = std::move(member);
    }
  }
  pass->Drain();
  SourcePtr stream = pass->Finish();
  CheckMembers(members, stream->Size(), name);
  if (cached && hooks->store) {
    ArchiveIndex index{members, pass->Index()};
    hooks->store(index, pass->LocalCopy());
  }
  return std::make_unique<TarFiles>(std::move(stream), std::move(members), name, KindName(codec));
}

}  // namespace imgmount
