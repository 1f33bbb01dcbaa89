// Fixture images for the index cache tests, written by the project's fixture builder binary
// (imgmount-fixture, next to this test binary): linking the builder's image model into this
// binary would clash with layers/image/image.h, whose types share their names.
#pragma once

#include <string>
#include <vector>

#include "tests/support/codec.h"
#include "tests/support/tar_writer.h"

namespace imgmount::testing {
using namespace imgmount::fixture;

/// An entry of `type` at `path` with `mode` and a fixed mtime; the caller fills in the rest.
TarEntry Entry(const std::string& path, TarType type, uint32_t mode);

/// A regular file entry.
TarEntry PlainFile(const std::string& path, const std::string& content, uint32_t mode = 0644);

/// Entries of a layer that uses every member feature: files, directories, symlinks, a hardlink,
/// devices, a fifo, xattrs, a sparse file, a long name, and `big` bytes of text in one file.
std::vector<TarEntry> RichLayerEntries(size_t big = 0);

/// Writes the `sample` (or `sample-plus` with `plus`) scenario as an image at `path` in the
/// named format (oci-dir, docker-legacy, ...), running imgmount-fixture.
void WriteSample(const std::string& path, const std::string& format, Compression compression,
                 bool plus = false, Compression outer = Compression::kNone);

/// Writes an image of one layer made of `entries` at `path` in the named format (oci-dir,
/// oci-archive or docker-oci), with `imgmount-fixture wrap`.
void WriteOneLayerImage(const std::string& path, const std::vector<TarEntry>& entries,
                        const std::string& format, Compression compression);

}  // namespace imgmount::testing
