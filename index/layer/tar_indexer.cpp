#include "index/layer/tar_indexer.h"

#include <limits>

#include "index/layer/layer_nesting.h"
#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "layers/codecs/codec_choice.h"
#include "layers/tar/tar_walker.h"

namespace imgmount {
namespace {

std::optional<MemberType> TypeOf(const TarHeader& header) {
  switch (header.kind()) {
    case TarEntryKind::kRegular:
      return MemberType::kRegular;
    case TarEntryKind::kDirectory:
      return MemberType::kDirectory;
    case TarEntryKind::kSymlink:
      return MemberType::kSymlink;
    case TarEntryKind::kHardlink:
      return MemberType::kHardlink;
    case TarEntryKind::kCharDevice:
      return MemberType::kCharDevice;
    case TarEntryKind::kBlockDevice:
      return MemberType::kBlockDevice;
    case TarEntryKind::kFifo:
      return MemberType::kFifo;
    default:
      return std::nullopt;
  }
}

// Converts one tar header; nullopt (with a warning) for members that cannot be served.
std::optional<NewMember> ToMember(const TarHeader& header, const std::string& layer,
                                  const WarningSink& warn) {
  auto path = CleanMemberPath(header.name);
  if (!path) {
    if (warn)
      warn(layer + ": ignoring member with unsafe name \"" + PrintableName(header.name) + "\"");
    return std::nullopt;
  }
  auto type = TypeOf(header);
  if (!type) {
    if (warn) warn(layer + ": ignoring member " + PrintableName(*path) + " of unsupported type");
    return std::nullopt;
  }
  NewMember m;
  m.path = std::move(*path);
  m.type = *type;
  // A symlink's mode is 0777 on every Linux filesystem, whatever its header says.
  m.mode = m.type == MemberType::kSymlink ? 0777 : static_cast<uint32_t>(header.mode) & 07777;
  m.uid = MemberOwnerId(header.uid);
  m.gid = MemberOwnerId(header.gid);
  m.mtime_sec = header.mtime_sec;
  m.mtime_nsec = header.mtime_nsec;
  m.data_offset = header.data_offset;
  if (m.type == MemberType::kRegular) {
    m.size = static_cast<uint64_t>(header.size);  // never negative for a file (the walker checks)
    m.is_sparse = header.sparse;
    for (const TarSparseRun& run : header.sparse_runs) m.sparse.push_back({run.offset, run.length});
  } else if (m.type == MemberType::kSymlink) {
    m.link_target = header.linkname;
  } else if (m.type == MemberType::kHardlink) {
    auto target = CleanMemberPath(header.linkname);
    if (!target || target->empty()) {
      if (warn)
        warn(layer + ": ignoring hardlink " + PrintableName(m.path) + " with unsafe target");
      return std::nullopt;
    }
    m.link_target = std::move(*target);
  } else if (m.type == MemberType::kCharDevice || m.type == MemberType::kBlockDevice) {
    // As the runtimes' mknod: each number taken as 32 bits.
    m.dev_major = static_cast<uint32_t>(header.dev_major);
    m.dev_minor = static_cast<uint32_t>(header.dev_minor);
  }
  m.xattrs = header.xattrs;
  return m;
}

// Checks that every member's stored data lies inside the stream.
void CheckExtents(const LayerIndex& index, uint64_t stream_size) {
  for (uint32_t i = 0; i < index.size(); ++i) {
    TarMember m = index.member(i);
    if (m.type != MemberType::kRegular) continue;
    uint64_t stored = m.size;
    if (m.is_sparse) {
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
  auto pass = StartDecodePass(blob.blob, codec, name, pass_options);
  {
    const uint64_t max_entries = MaxEntries();
    TarWalker walker(*pass, name);
    while (const TarHeader* header = walker.Next()) {
      auto member = ToMember(*header, name, warn);
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
  CheckNothingBelowFiles(*index);
  LayerDigests digests{pass->BlobDigest(), pass->StreamDigest()};
  CheckDigest(blob.digest, digests.blob, "blob digest", name);
  CheckDigest(blob.diff_id, digests.stream, "diff_id", name);
  index->AttachStream(std::move(stream), pass->Index(), std::move(digests));
  if (local_copy != nullptr) *local_copy = pass->LocalCopy();
  return index;
}

}  // namespace imgmount
