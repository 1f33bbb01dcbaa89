// The digest of a whole byte source (a blob checked against the digest an image states).
#pragma once

#include <string>

#include "layers/base/digest.h"
#include "layers/source/byte_source.h"

namespace imgmount {

/// The digest of all of `source`, read from start to end, with `algorithm`.
std::string DigestOfSource(const ByteSource& source, DigestAlgorithm algorithm);

}  // namespace imgmount
