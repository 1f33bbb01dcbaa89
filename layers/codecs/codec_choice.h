// The choice of codec, above all of them: a blob's decoding pass and the random-access source a
// stored index reopens are made by the codec its index or its magic bytes name.
#pragma once

#include <memory>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/stream_index.h"

namespace imgmount {

/// Starts a pass over `blob` decoded with `codec`; `name` names the blob in errors (its
/// description if empty).
std::unique_ptr<DecodePass> StartDecodePass(SourcePtr blob, Codec codec, std::string name,
                                            const DecodeOptions& options = {});

/// Reopens the random-access source of a blob from an index a pass recorded earlier (e.g. one
/// read back from the index cache); `local_copy` holds the frames of points with in_local_copy
/// (the pass's local copy, or a persisted copy of it). Throws kBadImage if the index is
/// inconsistent or does not fit the blob, and kInternal if it needs a local copy and none is given.
SourcePtr OpenIndexed(SourcePtr blob, const StreamIndex& index, std::string name,
                      const DecodeOptions& options = {}, SourcePtr local_copy = nullptr);

}  // namespace imgmount
