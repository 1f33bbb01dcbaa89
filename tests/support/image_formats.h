// The per-format layout builders behind WriteImages; each returns the files of one output.
#pragma once

#include <vector>

#include "tests/support/image_layout.h"

namespace imgmount::fixture {

/// `docker save` of Docker <= 24: <id>/layer.tar (symlinked when repeated), manifest.json.
Layout DockerLegacyLayout(const std::vector<ImageSpec>& images, const WriteOptions& options);

/// skopeo / podman docker-archive: <hex>.tar layers, <hex>.json config, manifest.json.
Layout DockerArchiveLayout(const std::vector<ImageSpec>& images, const WriteOptions& options);

/// `docker save` of Docker >= 25 (graph drivers): manifest.json beside an OCI layout.
Layout DockerOciLayout(const std::vector<ImageSpec>& images, const WriteOptions& options);

/// Docker 29 containerd-store export: nested multi-platform index, other platforms missing.
Layout ContainerdLayout(const std::vector<ImageSpec>& images, const WriteOptions& options);

/// OCI image layout (directory or archive), with a nested index for multi-platform images.
Layout OciLayout(const std::vector<ImageSpec>& images, const WriteOptions& options);

}  // namespace imgmount::fixture
