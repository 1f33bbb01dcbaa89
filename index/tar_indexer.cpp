#include "index/tar_indexer.h"

#include <archive.h>
#include <archive_entry.h>

#include <limits>

#include "layers/error.h"
#include "layers/tar_path.h"
#include "layers/tar_walker.h"

namespace imgmount {
namespace {

std::optional<MemberType> TypeOf(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return MemberType::kHardlink;
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      return MemberType::kRegular;
    case AE_IFDIR:
      return MemberType::kDirectory;
    case AE_IFLNK:
      return MemberType::kSymlink;
    case AE_IFCHR:
      return MemberType::kCharDevice;
    case AE_IFBLK:
      return MemberType::kBlockDevice;
    case AE_IFIFO:
      return MemberType::kFifo;
    default:
      return std::nullopt;
  }
}

uint32_t ClampId(la_int64_t id) {
  if (id < 0 || id > std::numeric_limits<uint32_t>::max()) return 65534;  // nobody
  return static_cast<uint32_t>(id);
}

// Converts one libarchive entry; nullopt (with a warning) for members that cannot be served.
std::optional<NewMember> ToMember(archive_entry* entry, uint64_t data_offset,
                                  const std::string& layer, const WarningSink& warn) {
  const char* raw = archive_entry_pathname(entry);
  std::string raw_name = raw ? raw : "";
  auto path = NormalizeMemberPath(raw_name);
  if (!path) {
    if (warn)
      warn(layer + ": ignoring member with unsafe name \"" + PrintableName(raw_name) + "\"");
    return std::nullopt;
  }
  auto type = TypeOf(entry);
  if (!type) {
    if (warn) warn(layer + ": ignoring member " + PrintableName(*path) + " of unsupported type");
    return std::nullopt;
  }
  NewMember m;
  m.path = std::move(*path);
  m.type = *type;
  m.mode = static_cast<uint32_t>(archive_entry_perm(entry)) & 07777;
  m.uid = ClampId(archive_entry_uid(entry));
  m.gid = ClampId(archive_entry_gid(entry));
  m.mtime_sec = archive_entry_mtime(entry);
  long nsec = archive_entry_mtime_nsec(entry);
  m.mtime_nsec = (nsec >= 0 && nsec < 1000000000) ? static_cast<uint32_t>(nsec) : 0;
  m.data_offset = data_offset;
  if (m.type == MemberType::kRegular) {
    la_int64_t size = archive_entry_size(entry);
    m.size = size > 0 ? static_cast<uint64_t>(size) : 0;
    if (archive_entry_sparse_reset(entry) > 0) {
      la_int64_t offset = 0;
      la_int64_t length = 0;
      while (archive_entry_sparse_next(entry, &offset, &length) == ARCHIVE_OK) {
        if (length > 0 && offset >= 0) {
          m.sparse.push_back({static_cast<uint64_t>(offset), static_cast<uint64_t>(length)});
        }
      }
    }
  } else if (m.type == MemberType::kSymlink) {
    const char* target = archive_entry_symlink(entry);
    m.link_target = target ? target : "";
  } else if (m.type == MemberType::kHardlink) {
    auto target = NormalizeMemberPath(archive_entry_hardlink(entry));
    if (!target || target->empty()) {
      if (warn)
        warn(layer + ": ignoring hardlink " + PrintableName(m.path) + " with unsafe target");
      return std::nullopt;
    }
    m.link_target = std::move(*target);
  } else if (m.type == MemberType::kCharDevice || m.type == MemberType::kBlockDevice) {
    m.dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(entry));
    m.dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(entry));
  }
  archive_entry_xattr_reset(entry);
  const char* xname = nullptr;
  const void* xvalue = nullptr;
  size_t xsize = 0;
  while (archive_entry_xattr_next(entry, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
    if (xname == nullptr || *xname == '\0') continue;
    m.xattrs.emplace_back(xname, std::string(static_cast<const char*>(xvalue), xsize));
  }
  return m;
}

// Checks that every member's stored data lies inside the stream.
void CheckExtents(const LayerIndex& index, uint64_t stream_size) {
  for (uint32_t i = 0; i < index.size(); ++i) {
    TarMember m = index.member(i);
    if (m.type != MemberType::kRegular) continue;
    uint64_t stored = m.size;
    if (!m.sparse.empty()) {
      stored = 0;
      for (const auto& e : m.sparse) {
        if (e.offset > m.size || e.length > m.size - e.offset) {
          ThrowBadImage(index.name() + ": sparse map of " + std::string(m.path) +
                        " exceeds its size");
        }
        stored += e.length;
      }
    }
    if (m.data_offset > stream_size || stored > stream_size - m.data_offset) {
      ThrowBadImage(index.name() + ": data of " + std::string(m.path) +
                    " extends past the end of the layer");
    }
  }
}

void CheckDigest(const std::string& expected, const std::string& actual, const std::string& what,
                 const std::string& layer) {
  if (expected.empty() || actual.empty() || expected == actual) return;
  throw Error(ErrorKind::kIntegrity, EIO,
              layer + ": " + what + " mismatch: expected " + expected + ", content has " + actual);
}

}  // namespace

std::shared_ptr<LayerIndex> IndexLayer(const LayerBlob& blob, const std::string& name,
                                       const DecodeOptions& options, const WarningSink& warn,
                                       std::shared_ptr<const ScratchFile>* local_copy) {
  Codec codec = SniffCodec(*blob.blob);
  bool says_gzip = blob.media_type.find("gzip") != std::string::npos;
  bool says_zstd = blob.media_type.find("zstd") != std::string::npos;
  if (warn && ((says_gzip && codec != Codec::kGzip) || (says_zstd && codec != Codec::kZstd))) {
    warn(name + ": media type " + blob.media_type + " but the content is " + CodecName(codec));
  }
  LayerIndexBuilder builder;
  DecodeOptions pass_options = options;
  pass_options.blob_algorithm = AlgorithmOf(blob.digest);
  pass_options.stream_algorithm = AlgorithmOf(blob.diff_id);
  auto pass = DecodePass::Start(blob.blob, codec, name, pass_options);
  {
    const uint64_t max_entries = MaxEntries();
    TarWalker walker(*pass, name);
    while (archive_entry* entry = walker.Next()) {
      auto member = ToMember(entry, walker.data_offset(), name, warn);
      if (!member) continue;
      if (builder.size() >= max_entries) {
        ThrowBadImage(
            name + ": more than " + std::to_string(max_entries) +
            " members; refused to bound memory (IMGMOUNT_MAX_ENTRIES=N raises the limit)");
      }
      builder.Add(*member);
    }
  }
  SourcePtr stream = pass->Finish();
  auto index = builder.Finish(name);
  CheckExtents(*index, stream->Size());
  LayerDigests digests{pass->BlobDigest(), pass->StreamDigest()};
  CheckDigest(blob.digest, digests.blob, "blob digest", name);
  CheckDigest(blob.diff_id, digests.stream, "diff_id", name);
  index->AttachStream(std::move(stream), pass->Index(), std::move(digests));
  if (local_copy != nullptr) *local_copy = pass->LocalCopy();
  return index;
}

}  // namespace imgmount
