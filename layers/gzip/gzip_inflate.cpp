// How decoding starts in the middle of a gzip member, and how the indexing pass finds the places
// where it may: zran's idea, done with ISA-L instead of zlib.
//
// Deflate output depends on up to 32 KiB of earlier output (back-references) and on the Huffman
// tables of the current block, which its header defines. So decoding can resume only at a block
// boundary, given the bit offset of the boundary and the 32 KiB of output before it: an access
// point. zlib can stop at block boundaries (Z_BLOCK); ISA-L has no such flag and runs through
// block boundaries within one call, but it does stop after a block whose header has BFINAL set.
// To find a boundary, this decoder sets the in-memory copy of BFINAL of the block being decoded
// (state->bfinal, which ISA-L consults only when it meets that block's end-of-block code, or at
// the end of a stored block) and remembers the real bit. ISA-L then ends at the end of the current
// block with ISAL_BLOCK_FINISH, and the bit offset there is (bytes handed to ISA-L) * 8 minus
// state->read_in_length, the bits ISA-L has read ahead.
//
// If the block was not really the final one, the decoder restarts exactly as a random read does:
// a fresh state, the last 32 KiB of output as dictionary (isal_inflate_set_dict), and the bit
// offset loaded by hand: the remaining high bits of the boundary's partial byte go into
// read_in / read_in_length and next_in points at the following byte. So every access point the
// pass records has already been resumed from once, in the pass itself, whose output is then
// checked against the member's CRC-32.
#include "layers/gzip/gzip_inflate.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"
#include "layers/stream/blob_input.h"

namespace imgmount {

namespace {

// Output handed to one isal_inflate call at most (its counters are 32-bit).
constexpr size_t kMaxCallOutput = size_t{1} << 30;

std::string IsalErrorText(int code) {
  switch (code) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate code";
    case ISAL_INVALID_LOOKBACK:
      return "back-reference before the start of the data";
    default:
      return "deflate error " + std::to_string(code);
  }
}

}  // namespace

DeflateDecoder::DeflateDecoder(BlobInput& input, const std::string& name, bool keep_history)
    : input_(input),
      name_(name),
      state_(std::make_unique<inflate_state>()),
      keep_history_(keep_history) {
  if (keep_history_) history_ = std::make_unique_for_overwrite<std::byte[]>(kDeflateWindow);
}

DeflateDecoder::~DeflateDecoder() = default;

void DeflateDecoder::Fail(const std::string& what) const {
  throw Error(ErrorKind::kBadImage, EIO,
              name_ + ": " + what + " at compressed offset " + std::to_string(input_position_));
}

void DeflateDecoder::Start(uint64_t bit_offset, std::span<const std::byte> window) {
  inflate_state& st = *state_;
  isal_inflate_init(&st);
  st.crc_flag = ISAL_DEFLATE;
  st.hist_bits = 0;
  window = window.last(std::min(window.size(), kDeflateWindow));
  if (!window.empty()) {
    auto* dict = const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(window.data()));
    if (isal_inflate_set_dict(&st, dict, static_cast<uint32_t>(window.size())) != COMP_OK) {
      Fail("cannot load the deflate window");
    }
  }
  boundary_requested_ = faked_final_ = real_final_ = at_boundary_ = finished_ = false;
  input_position_ = bit_offset / 8;
  st.next_in = nullptr;
  st.avail_in = 0;
  if (unsigned shift = bit_offset % 8; shift != 0) {
    auto avail = input_.At(input_position_);
    if (avail.empty()) Fail("truncated deflate data");
    st.read_in = std::to_integer<uint8_t>(avail[0]) >> shift;
    st.read_in_length = static_cast<int32_t>(8 - shift);
    input_position_ += 1;
  }
  if (!keep_history_) return;
  if (window.data() == history_.get()) {
    history_size_ = window.size();  // resuming from our own history
  } else {
    history_size_ = 0;
    Remember(window);
  }
}

size_t DeflateDecoder::Decode(std::span<std::byte> dst) {
  inflate_state& st = *state_;
  size_t produced = 0;
  while (produced < dst.size() && !finished_ && !at_boundary_) {
    if (st.avail_in == 0) {
      auto avail = input_.At(input_position_);
      st.next_in = const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(avail.data()));
      st.avail_in = static_cast<uint32_t>(std::min<size_t>(avail.size(), UINT32_MAX));
    }
    if (boundary_requested_ && !faked_final_ &&
        (st.block_state == ISAL_BLOCK_CODED || st.block_state == ISAL_BLOCK_TYPE0)) {
      real_final_ = st.bfinal != 0;
      st.bfinal = 1;
      faked_final_ = true;
    }
    size_t room = std::min(dst.size() - produced, kMaxCallOutput);
    st.next_out = reinterpret_cast<uint8_t*>(dst.data() + produced);
    st.avail_out = static_cast<uint32_t>(room);
    uint32_t in_before = st.avail_in;
    int ret = isal_inflate(&st);
    size_t out = room - st.avail_out;
    input_position_ += in_before - st.avail_in;
    if (keep_history_) Remember(dst.subspan(produced, out));
    produced += out;
    if (ret < 0) Fail(IsalErrorText(ret));
    if (st.block_state == ISAL_BLOCK_FINISH) {
      end_bit_ = input_position_ * 8 - static_cast<uint64_t>(st.read_in_length);
      if (faked_final_ && !real_final_) {
        at_boundary_ = true;
      } else {
        finished_ = true;
      }
      break;
    }
    if (out == 0 && in_before == st.avail_in) {
      if (st.avail_in == 0) Fail("truncated deflate data");
      Fail("deflate decoder made no progress");
    }
  }
  return produced;
}

void DeflateDecoder::Resume() {
  if (!at_boundary_) return;
  Start(end_bit_, history());
}

std::span<const std::byte> DeflateDecoder::history() const {
  return {history_.get(), history_size_};
}

void DeflateDecoder::Remember(std::span<const std::byte> out) {
  if (out.empty()) return;
  if (out.size() >= kDeflateWindow) {
    std::memcpy(history_.get(), out.data() + out.size() - kDeflateWindow, kDeflateWindow);
    history_size_ = kDeflateWindow;
    return;
  }
  size_t keep = std::min(history_size_, kDeflateWindow - out.size());
  std::memmove(history_.get(), history_.get() + history_size_ - keep, keep);
  std::memcpy(history_.get() + keep, out.data(), out.size());
  history_size_ = keep + out.size();
}

}  // namespace imgmount
