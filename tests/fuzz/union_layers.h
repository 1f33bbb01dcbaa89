// The fixed layers the union_file fuzz target reads its inputs against, and the seed generator
// writes its union files for: a union file is used only over the very layer tables it names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"

namespace imgmount::fuzz {

/// Two layer indexes, bottom first, built once from fixed tars (every member kind, a hardlink
/// across layers, a whiteout and an opaque directory), always the same tables.
const std::vector<std::shared_ptr<const LayerIndex>>& FuzzUnionLayers();

/// The cache entry stems the union files name for those layers, bottom first.
const std::vector<std::string>& FuzzUnionStems();

}  // namespace imgmount::fuzz
