// Helpers for the layer index file tests: a layer indexed and written to an index file, the
// reader's verdict on altered bytes, and forgeries that rewrite a field of a section and fix the
// checksum, as a deliberate forgery (not corruption) would.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "layers/base/section_file.h"
#include "layers/image/image.h"
#include "tests/support/tar_writer.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount::testing {

/// A layer indexed and written to an index file.
struct Written {
  LayerBlob blob;
  std::shared_ptr<const LayerIndex> index;
  std::string path;
  std::string bytes;
};

/// Indexes a layer of `entries` compressed with `method` and writes its index file in `dir`.
Written IndexAndWrite(const TempDir& dir, const std::vector<TarEntry>& entries, Compression method,
                      DecodeOptions options = {});

/// Indexes RichLayerEntries(big) compressed with `method` and writes its index file in `dir`.
Written IndexAndWrite(const TempDir& dir, Compression method, size_t big = 0,
                      DecodeOptions options = {});

/// Reads `bytes` as a layer index file for `w`'s blob; the reason when it is refused, "" when
/// it is accepted.
std::string Refusal(const TempDir& dir, const Written& w, const std::string& bytes);

/// Offset of section `id` in a section file's bytes.
uint64_t SectionOffset(const std::string& bytes, uint32_t id);

/// Sets the section file's CRC-32 to match its bytes.
void FixChecksum(std::string& bytes);

/// `bytes` with `value` written at `offset` in section `id` and the checksum recomputed.
template <class T>
std::string Forge(std::string bytes, const char (&id)[5], uint64_t offset, T value) {
  std::memcpy(bytes.data() + SectionOffset(bytes, SectionId(id)) + offset, &value, sizeof value);
  FixChecksum(bytes);
  return bytes;
}

}  // namespace imgmount::testing
