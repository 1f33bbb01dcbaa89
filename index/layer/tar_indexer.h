// Builds a LayerIndex in one pass over a layer blob: the tar walker reads the headers while the
// decode pass records access points and hashes; an uncompressed layer's data is never read.
#pragma once

#include <memory>
#include <string>

#include "index/layer/layer_index.h"
#include "layers/base/error.h"
#include "layers/image/image.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// Indexes one layer blob. `name` names it in messages ("layer 2 (sha256:ab12..)").
/// Verifies the blob digest and diff_id whenever the pass computed them (compressed layers);
/// a mismatch throws kIntegrity. Members with unsafe names are dropped with a warning. If
/// `local_copy` is given it receives the pass's local copy (null if none), for the index cache.
std::shared_ptr<LayerIndex> IndexLayer(const LayerBlob& blob, const std::string& name,
                                       const DecodeOptions& options, const WarningSink& warn,
                                       std::shared_ptr<const ScratchFile>* local_copy = nullptr);

}  // namespace imgmount
