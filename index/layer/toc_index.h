// A layer index made from the layer's table of contents instead of a pass over the blob: the
// members come from the TOC's entries, and the stream they point into is not the tar but a
// virtual one, the concatenation of the regular files' contents in TOC order, cut into one span
// per chunk, each span decoded from its own access point (the zstd frame or gzip member its chunk
// starts) and checked against the chunk's digest in the TOC when decoded. An eStargz TOC is
// itself a member of the layer's tar ("stargz.index.json", last): it is a member of the index
// too, its data the TOC's JSON, read from the TOC's gzip member. Nothing of the blob but the TOC is
// read to build it, so nothing vouches for the blob or diff_id (LayerDigests stay empty):
// `imgmount verify` still makes a full pass.
//
// The TOC is hostile input: every entry is checked (names, types, sizes, chunks tiling each
// file back to back, compressed ranges inside the blob before the TOC and disjoint, digests well
// formed, hardlink targets clean, no duplicates) and any doubt refuses the whole TOC, so that
// the layer is indexed by a pass instead. A hardlink to nothing is the union's to handle, as for
// a tar member.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/toc/toc_entries.h"

namespace imgmount {

/// What a TOC describes besides its entries.
struct TocLayout {
  /// kZstd: zstd:chunked (each file's data range ends at its endOffset); kGzip: eStargz (a
  /// chunk's data ends where the next one starts).
  Codec codec = Codec::kZstd;
  /// Where the chunks' compressed bytes end: the TOC's start.
  uint64_t data_end = 0;
  /// eStargz: the tar header of the TOC's own entry ("" for zstd:chunked), its JSON's size and
  /// digest, and where its gzip member ends (the footer's start).
  std::string toc_header;
  uint64_t toc_size = 0;
  std::string toc_digest;
  uint64_t toc_end = 0;
};

/// Builds the index of layer `blob` from its TOC `entries` laid out as `layout` says; `name`
/// names the layer. Throws kBadImage naming the problem when the TOC cannot be trusted to
/// describe the layer.
std::shared_ptr<LayerIndex> BuildTocIndex(const SourcePtr& blob,
                                          const std::vector<TocEntry>& entries,
                                          const TocLayout& layout, const std::string& name,
                                          const DecodeOptions& options);

/// The index of `blob` from its table of contents if it has one (zstd:chunked, eStargz) that
/// checks out; null if it has none, or (after one warning to `warn` naming the layer and the
/// reason) if its TOC fails a check: then the layer needs a pass.
std::shared_ptr<LayerIndex> IndexLayerFromToc(const LayerBlob& blob, const std::string& name,
                                              const DecodeOptions& options,
                                              const WarningSink& warn);

}  // namespace imgmount
