// A registry blob downloaded whole into a file, for a registry that answers Range requests with
// the whole blob (200): reading it by ranges would download it again for every range.
#pragma once

#include <memory>
#include <string>

#include "layers/registry/registry_client.h"
#include "layers/source/byte_source.h"

namespace imgmount {

/// Blob `digest` of `size` bytes as a file: `path` if it already holds that many bytes, else
/// downloaded with one GET into an anonymous scratch file beside `path`, hashed while it streams,
/// and linked as `path` only if its digest and size match (if the link fails the copy is just not
/// kept). With an empty `path` the scratch file is in $TMPDIR (no cache directory). Throws
/// kIntegrity naming both digests when the bytes do not match, kIo when the transfer or the file
/// fails.
SourcePtr DownloadWholeBlob(const RegistryClient& client, const std::string& digest, uint64_t size,
                            const std::string& path);

}  // namespace imgmount
