// Finding and reading the table of contents of an eStargz layer blob with two reads at its end.
//
// An eStargz blob (containerd/stargz-snapshotter) is a gzip tar made of many gzip members: each
// regular file's chunks start new members. The TOC is the tar entry "stargz.index.json" in the
// last member but one, and the last member is a 51-byte footer: an empty gzip member whose
// header's extra field holds a subfield "SG" of 22 bytes, the TOC member's offset as 16 hex
// digits then "STARGZ". The layer's descriptor may carry the annotation
// "containerd.io/snapshot/stargz/toc.digest": the digest of the TOC's JSON; without it the TOC is
// unverified (each chunk's digest still comes from it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/toc/zstd_chunked_toc.h"

namespace imgmount {

/// The annotation naming the digest of an eStargz layer's TOC JSON.
inline constexpr const char* kEstargzTocDigestAnnotation =
    "containerd.io/snapshot/stargz/toc.digest";

/// Size of the eStargz footer.
inline constexpr uint64_t kEstargzFooterBytes = 51;

/// An eStargz TOC as read: its JSON and the tar header of its entry.
struct EstargzToc {
  /// Offset of the gzip member holding the TOC's tar entry.
  uint64_t offset = 0;
  /// The 512-byte tar header of "stargz.index.json" (it is a member of the layer's tar).
  std::string tar_header;
  /// The JSON.
  std::string json;
  /// The annotation's digest of the JSON ("" if none: the TOC is unverified).
  std::string digest;
};

/// The TOC offset the footer of `blob` names; nullopt if the blob ends in no eStargz footer.
/// Throws kBadImage if the footer is there but names an offset outside the blob.
std::optional<uint64_t> FindEstargzToc(const ByteSource& blob);

/// Reads the TOC member at `offset` (decompressing at most what the TOC needs), checks that it
/// is the tar entry "stargz.index.json" of a sane size and its JSON against the annotation's
/// digest if there is one (kIntegrity on mismatch; kBadImage for anything else wrong).
EstargzToc ReadEstargzToc(const ByteSource& blob, uint64_t offset, const Annotations& annotations);

}  // namespace imgmount
