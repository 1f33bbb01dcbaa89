// ImageFiles over a tar archive (docker save, docker-archive, OCI archive), plain or compressed
// as a whole; members are found by one header walk and read as slices of the (decoded) stream.
#pragma once

#include <memory>
#include <string>

#include "layers/image/image_files.h"

namespace imgmount {

struct ArchiveIndexHooks;

/// Indexes the tar in `file` (sniffing gzip/zstd outer compression) and serves its members. With
/// `hooks`, a compressed archive's index is first asked of hooks->load and a new one is offered
/// to hooks->store (the index cache); a stored index that does not fit is rebuilt.
std::unique_ptr<ImageFiles> OpenTarFiles(SourcePtr file, const std::string& name,
                                         const ArchiveIndexHooks* hooks = nullptr);

}  // namespace imgmount
