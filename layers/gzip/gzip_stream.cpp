#include "layers/gzip/gzip_stream.h"

#include <isa-l/crc.h>

#include "layers/base/error.h"
#include "layers/gzip/gzip_header.h"
#include "layers/stream/blob_input.h"

namespace imgmount {

GzipStream::GzipStream(BlobInput& input, std::string name, bool verify, bool keep_history)
    : input_(input),
      name_(std::move(name)),
      verify_(verify),
      deflate_(input, name_, keep_history) {}

void GzipStream::StartAtMember(uint64_t offset) {
  member_offset_ = offset;
  phase_ = Phase::kHeader;
}

void GzipStream::StartAtPoint(uint64_t bit, std::span<const std::byte> window) {
  deflate_.Start(bit, window);
  verify_ = false;  // the member's CRC covers bytes before the point
  phase_ = Phase::kDeflate;
}

uint64_t GzipStream::input_position() const {
  return phase_ == Phase::kDeflate ? deflate_.input_position() : member_offset_;
}

size_t GzipStream::Read(std::span<std::byte> dst) {
  stop_ = Stop::kNone;
  size_t produced = 0;
  while (produced < dst.size()) {
    switch (phase_) {
      case Phase::kHeader: {
        uint64_t data = ParseGzipHeader(input_, member_offset_, name_);
        point_bit_ = data * 8;
        deflate_.Start(point_bit_, {});
        member_crc_ = 0;
        member_size_ = 0;
        phase_ = Phase::kDeflate;
        stop_ = Stop::kMemberStart;
        return produced;
      }
      case Phase::kDeflate: {
        auto out = dst.subspan(produced);
        size_t n = deflate_.Decode(out);
        if (verify_) {
          member_crc_ =
              crc32_gzip_refl(member_crc_, reinterpret_cast<const unsigned char*>(out.data()), n);
        }
        member_size_ += n;
        produced += n;
        if (deflate_.at_boundary()) {
          point_bit_ = deflate_.end_bit();
          stop_ = Stop::kBoundary;
          return produced;
        }
        if (deflate_.finished()) FinishMember();
        break;
      }
      case Phase::kTrailer:
      case Phase::kDone:
        stop_ = Stop::kEnd;
        return produced;
    }
  }
  return produced;
}

void GzipStream::FinishMember() {
  uint64_t trailer_offset = (deflate_.end_bit() + 7) / 8;
  GzipTrailer trailer = ReadGzipTrailer(input_, trailer_offset, name_);
  if (verify_ && trailer.crc32 != member_crc_) {
    throw Error(ErrorKind::kIntegrity, EIO,
                name_ + ": gzip CRC-32 mismatch in the member ending at offset " +
                    std::to_string(trailer_offset + 8));
  }
  if (verify_ && trailer.isize != static_cast<uint32_t>(member_size_)) {
    throw Error(ErrorKind::kIntegrity, EIO,
                name_ + ": gzip size mismatch in the member ending at offset " +
                    std::to_string(trailer_offset + 8) + " (trailer says " +
                    std::to_string(trailer.isize) + ", data has " + std::to_string(member_size_) +
                    " mod 2^32)");
  }
  member_offset_ = trailer_offset + 8;
  if (member_offset_ >= input_.size()) {
    phase_ = Phase::kDone;
    return;
  }
  if (!HasGzipMagic(input_, member_offset_)) {
    ThrowBadImage(name_ + ": trailing garbage after the gzip member ending at offset " +
                  std::to_string(member_offset_));
  }
  phase_ = Phase::kHeader;
}

}  // namespace imgmount
