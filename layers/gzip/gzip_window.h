// Compact storage of the 32 KiB deflate windows that gzip access points carry: raw deflate at
// zlib level 1, or the bytes as they are when that is not smaller; expanded with ISA-L.
#pragma once

#include <span>
#include <string>

#include "layers/stream/decode_pass.h"

typedef struct z_stream_s z_stream;

namespace imgmount {

/// Packs windows into access points, reusing one zlib compressor.
class WindowPacker {
 public:
  WindowPacker();
  ~WindowPacker();
  WindowPacker(const WindowPacker&) = delete;
  WindowPacker& operator=(const WindowPacker&) = delete;

  /// Stores `window` (at most 32 KiB) in point.window / window_size / window_deflated.
  void Pack(std::span<const std::byte> window, AccessPoint& point);

 private:
  z_stream* stream_;
  std::string buffer_;
};

/// Expands the window of `point` into `buffer` (at least 32 KiB) and returns it. Throws
/// kBadImage naming `name` if the stored window is corrupt.
std::span<const std::byte> UnpackWindow(const AccessPoint& point, std::span<std::byte> buffer,
                                        const std::string& name);

}  // namespace imgmount
