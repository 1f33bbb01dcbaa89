// ImageFiles over a tar archive (docker save, docker-archive, OCI archive), plain or compressed
// as a whole; members are found by one header walk and read as slices of the (decoded) stream.
#pragma once

#include <memory>
#include <string>

#include "layers/image_files.h"

namespace imgmount {

/// Indexes the tar in `file` (sniffing gzip/zstd outer compression) and serves its members.
std::unique_ptr<ImageFiles> OpenTarFiles(SourcePtr file, const std::string& name);

}  // namespace imgmount
