#include "layers/buffered_pass.h"

#include <algorithm>
#include <cstring>

namespace imgmount {

size_t BufferedPass::Read(std::span<std::byte> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    if (out_pos_ == out_len_) {
      if (ended_) break;
      Produce();
      continue;
    }
    size_t n = std::min(dst.size() - done, out_len_ - out_pos_);
    std::memcpy(dst.data() + done, out_.get() + out_pos_, n);
    out_pos_ += n;
    done += n;
  }
  position_ += done;
  return done;
}

void BufferedPass::Skip(uint64_t n) {
  while (n > 0) {
    if (out_pos_ == out_len_) {
      if (ended_) break;
      Produce();
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, out_len_ - out_pos_));
    out_pos_ += take;
    position_ += take;
    n -= take;
  }
}

}  // namespace imgmount
