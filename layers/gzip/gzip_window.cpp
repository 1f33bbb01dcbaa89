#include "layers/gzip/gzip_window.h"

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <cstring>
#include <memory>

#include "layers/base/error.h"
#include "layers/gzip/gzip_inflate.h"

namespace imgmount {

WindowPacker::WindowPacker() : stream_(new z_stream{}) {
  if (deflateInit2(stream_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    delete stream_;
    throw Error(ErrorKind::kInternal, ENOMEM, "zlib: cannot start a window compressor");
  }
  buffer_.resize(deflateBound(stream_, kDeflateWindow));
}

WindowPacker::~WindowPacker() {
  deflateEnd(stream_);
  delete stream_;
}

void WindowPacker::Pack(std::span<const std::byte> window, AccessPoint& point) {
  window = window.last(std::min(window.size(), kDeflateWindow));
  point.window_size = static_cast<uint32_t>(window.size());
  point.window_deflated = false;
  point.window.assign(reinterpret_cast<const char*>(window.data()), window.size());
  if (window.empty()) return;
  deflateReset(stream_);
  stream_->next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(window.data()));
  stream_->avail_in = static_cast<uInt>(window.size());
  stream_->next_out = reinterpret_cast<Bytef*>(buffer_.data());
  stream_->avail_out = static_cast<uInt>(buffer_.size());
  if (deflate(stream_, Z_FINISH) != Z_STREAM_END) return;  // keep it raw
  size_t packed = buffer_.size() - stream_->avail_out;
  if (packed < window.size()) {
    point.window.assign(buffer_.data(), packed);
    point.window_deflated = true;
  }
}

std::span<const std::byte> UnpackWindow(const AccessPoint& point, std::span<std::byte> buffer,
                                        const std::string& name) {
  auto fail = [&](const char* what) -> std::span<const std::byte> {
    ThrowBadImage(name + ": " + what + " of the access point at " +
                  std::to_string(point.uncompressed));
  };
  if (point.window_size > kDeflateWindow || point.window_size > buffer.size()) {
    return fail("oversized window");
  }
  if (!point.window_deflated) {
    if (point.window.size() != point.window_size) return fail("bad window size");
    std::memcpy(buffer.data(), point.window.data(), point.window.size());
    return buffer.first(point.window_size);
  }
  auto state = std::make_unique<inflate_state>();
  isal_inflate_init(state.get());
  state->crc_flag = ISAL_DEFLATE;
  state->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(point.window.data()));
  state->avail_in = static_cast<uint32_t>(point.window.size());
  state->next_out = reinterpret_cast<uint8_t*>(buffer.data());
  state->avail_out = point.window_size;
  int ret = isal_inflate_stateless(state.get());
  bool ok = ret == ISAL_DECOMP_OK && state->avail_out == 0;
  if (!ok) return fail("corrupt window");
  return buffer.first(point.window_size);
}

}  // namespace imgmount
