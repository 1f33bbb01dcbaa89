// Encoding of single ustar header blocks and PAX record blocks.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tests/support/tar_writer.h"

namespace imgmount::fixture {
namespace {

constexpr size_t kBlock = 512;

// Field offsets and widths of the ustar header.
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kUidOff = 108, kGidOff = 116, kSmallLen = 8;
constexpr size_t kSizeOff = 124, kMtimeOff = 136, kBigLen = 12;
constexpr size_t kChksumOff = 148;
constexpr size_t kTypeOff = 156;
constexpr size_t kLinkOff = 157, kLinkLen = 100;
constexpr size_t kMagicOff = 257, kVersionOff = 263;
constexpr size_t kUnameOff = 265, kGnameOff = 297, kOwnerLen = 32;
constexpr size_t kDevMajorOff = 329, kDevMinorOff = 337;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

// Copies up to `width` bytes of `value` into the block; shorter values stay NUL-padded.
void PutBytes(std::string& block, size_t offset, size_t width, const std::string& value) {
  std::memcpy(block.data() + offset, value.data(), std::min(width, value.size()));
}

// Writes a signed number: octal with a NUL terminator when it fits, else GNU base-256.
void PutNumber(std::string& block, size_t offset, size_t width, int64_t value, bool negative_ok) {
  const int digits = static_cast<int>(width) - 1;
  const bool fits_octal = value >= 0 && value < (int64_t{1} << (3 * digits));
  if (fits_octal) {
    uint64_t v = static_cast<uint64_t>(value);
    for (int i = digits - 1; i >= 0; --i) {
      block[offset + i] = static_cast<char>('0' + (v & 7));
      v >>= 3;
    }
    block[offset + digits] = '\0';
    return;
  }
  if (value < 0 && !negative_ok) throw std::invalid_argument("negative tar header number");
  int64_t v = value;  // C++20 defines >> on negative values as an arithmetic shift
  for (size_t i = width; i-- > 1;) {
    block[offset + i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  block[offset] = static_cast<char>(value < 0 ? 0xff : 0x80);
}

// Writes an unsigned number, switching to base-256 beyond the octal range.
void PutUnsigned(std::string& block, size_t offset, size_t width, uint64_t value) {
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    throw std::invalid_argument("tar header number too large");
  }
  PutNumber(block, offset, width, static_cast<int64_t>(value), false);
}

// Number of decimal digits of n.
size_t DecimalDigits(size_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

}  // namespace

std::string EncodeRawHeader(const RawHeaderFields& f) {
  std::string block(kBlock, '\0');
  PutBytes(block, kNameOff, kNameLen, f.name);
  PutUnsigned(block, kModeOff, kSmallLen, f.mode);
  PutUnsigned(block, kUidOff, kSmallLen, f.uid);
  PutUnsigned(block, kGidOff, kSmallLen, f.gid);
  PutUnsigned(block, kSizeOff, kBigLen, f.size);
  PutNumber(block, kMtimeOff, kBigLen, f.mtime, true);
  block[kTypeOff] = f.typeflag;
  PutBytes(block, kLinkOff, kLinkLen, f.linkname);
  PutBytes(block, kMagicOff, 6, f.magic);
  PutBytes(block, kVersionOff, 2, f.version);
  PutBytes(block, kUnameOff, kOwnerLen, f.uname);
  PutBytes(block, kGnameOff, kOwnerLen, f.gname);
  PutUnsigned(block, kDevMajorOff, kSmallLen, f.devmajor);
  PutUnsigned(block, kDevMinorOff, kSmallLen, f.devminor);
  PutBytes(block, kPrefixOff, kPrefixLen, f.prefix);

  uint32_t sum = 0;
  if (f.checksum) {
    sum = *f.checksum;
  } else {
    std::memset(block.data() + kChksumOff, ' ', kSmallLen);
    for (unsigned char c : block) sum += c;
  }
  for (int i = 5; i >= 0; --i) {
    block[kChksumOff + i] = static_cast<char>('0' + (sum & 7));
    sum >>= 3;
  }
  block[kChksumOff + 6] = '\0';
  block[kChksumOff + 7] = ' ';
  return block;
}

std::string EncodePaxRecords(const std::vector<std::pair<std::string, std::string>>& records) {
  std::string out;
  for (const auto& [key, value] : records) {
    const size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
    size_t len = body + DecimalDigits(body);
    if (DecimalDigits(len) + body != len) len = body + DecimalDigits(len);
    out += std::to_string(len);
    out += ' ';
    out += key;
    out += '=';
    out += value;
    out += '\n';
  }
  return out;
}

}  // namespace imgmount::fixture
