// The decoding pass over an uncompressed blob: the blob is the stream, and skipping reads nothing.
#pragma once

#include <memory>

#include "layers/stream/decode_pass.h"

namespace imgmount {

/// A pass over the uncompressed `blob` (hashed as read unless options.hash is false; a skip
/// leaves both digests empty).
std::unique_ptr<DecodePass> StartPlainPass(SourcePtr blob, const DecodeOptions& options);

}  // namespace imgmount
