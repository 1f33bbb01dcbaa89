#include "layers/toc/gzip_members.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

#include "layers/base/error.h"

namespace imgmount {

void InflateMembersAt(const ByteSource& blob, uint64_t begin, uint64_t end, uint64_t skip,
                      std::span<std::byte> dst, const std::string& where) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    throw Error(ErrorKind::kInternal, ENOMEM, "zlib: cannot create a decoder");
  }
  struct Closer {
    z_stream* z;
    ~Closer() { inflateEnd(z); }
  } closer{&z};
  std::vector<std::byte> input(
      static_cast<size_t>(std::clamp<uint64_t>(end > begin ? end - begin : 0, 4096, 256 * 1024)));
  std::vector<std::byte> skipped(static_cast<size_t>(std::min<uint64_t>(skip, 4096)));
  uint64_t at = begin;
  size_t filled = 0;
  while (filled < dst.size()) {
    if (z.avail_in == 0) {
      if (at >= end) ThrowBadImage(where + ": gzip data ends early");
      size_t n = static_cast<size_t>(std::min<uint64_t>(input.size(), end - at));
      ReadExactly(blob, at, std::span(input.data(), n));
      at += n;
      z.next_in = reinterpret_cast<Bytef*>(input.data());
      z.avail_in = static_cast<uInt>(n);
    }
    std::span<std::byte> target = skip > 0 ? std::span(skipped).first(static_cast<size_t>(
                                                 std::min<uint64_t>(skip, skipped.size())))
                                           : dst.subspan(filled);
    z.next_out = reinterpret_cast<Bytef*>(target.data());
    z.avail_out = static_cast<uInt>(std::min<size_t>(target.size(), 1u << 30));
    int ret = inflate(&z, Z_NO_FLUSH);
    size_t produced = static_cast<size_t>(target.size() - z.avail_out);
    if (skip > 0) {
      skip -= produced;
    } else {
      filled += produced;
    }
    if (ret == Z_STREAM_END) {
      // The data goes on in the next member.
      if (inflateReset(&z) != Z_OK) ThrowBadImage(where + ": gzip: cannot continue");
    } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && z.avail_in == 0)) {
      ThrowBadImage(where + ": gzip: " + (z.msg != nullptr ? z.msg : "corrupt data"));
    }
  }
}

}  // namespace imgmount
