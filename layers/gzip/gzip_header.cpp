#include "layers/gzip/gzip_header.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "layers/base/error.h"
#include "layers/stream/blob_input.h"

namespace imgmount {

namespace {

constexpr uint8_t kFlagHeaderCrc = 0x02;
constexpr uint8_t kFlagExtra = 0x04;
constexpr uint8_t kFlagName = 0x08;
constexpr uint8_t kFlagComment = 0x10;
constexpr uint8_t kReservedFlags = 0xe0;

// Reads header fields in order, keeping the running CRC-32 that FHCRC covers.
class HeaderReader {
 public:
  HeaderReader(BlobInput& input, uint64_t offset, const std::string& name)
      : input_(input), start_(offset), pos_(offset), name_(name) {}

  void Read(std::span<std::byte> dst) {
    if (!input_.Copy(pos_, dst)) Fail("truncated gzip header");
    Hash(dst);
    pos_ += dst.size();
  }

  void Skip(uint64_t n) {
    while (n > 0) {
      auto avail = input_.At(pos_);
      if (avail.empty()) Fail("truncated gzip header");
      auto piece = avail.first(static_cast<size_t>(std::min<uint64_t>(avail.size(), n)));
      Hash(piece);
      pos_ += piece.size();
      n -= piece.size();
    }
  }

  void SkipString() {
    for (;;) {
      auto avail = input_.At(pos_);
      if (avail.empty()) Fail("truncated gzip header");
      auto nul = std::find(avail.begin(), avail.end(), std::byte{0});
      size_t n = static_cast<size_t>(nul - avail.begin()) + (nul != avail.end() ? 1 : 0);
      Hash(avail.first(n));
      pos_ += n;
      if (nul != avail.end()) return;
    }
  }

  uint32_t crc() const { return crc_; }
  uint64_t position() const { return pos_; }

  [[noreturn]] void Fail(const std::string& what) const {
    ThrowBadImage(name_ + ": " + what + " (member at offset " + std::to_string(start_) + ")");
  }

 private:
  void Hash(std::span<const std::byte> bytes) {
    crc_ =
        crc32_gzip_refl(crc_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }

  BlobInput& input_;
  uint64_t start_;
  uint64_t pos_;
  const std::string& name_;
  uint32_t crc_ = 0;
};

uint32_t LoadLe(std::span<const std::byte> bytes) {
  uint32_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;)
    value = (value << 8) | std::to_integer<uint32_t>(bytes[i]);
  return value;
}

}  // namespace

bool HasGzipMagic(BlobInput& input, uint64_t offset) {
  std::byte magic[2];
  return input.Copy(offset, magic) && magic[0] == std::byte{0x1f} && magic[1] == std::byte{0x8b};
}

uint64_t ParseGzipHeader(BlobInput& input, uint64_t offset, const std::string& name) {
  HeaderReader reader(input, offset, name);
  std::byte fixed[10];
  reader.Read(fixed);
  if (fixed[0] != std::byte{0x1f} || fixed[1] != std::byte{0x8b}) reader.Fail("not a gzip member");
  if (fixed[2] != std::byte{8}) reader.Fail("unsupported gzip compression method");
  auto flags = std::to_integer<uint8_t>(fixed[3]);
  if (flags & kReservedFlags) reader.Fail("reserved gzip header flags set");
  if (flags & kFlagExtra) {
    std::byte length[2];
    reader.Read(length);
    reader.Skip(LoadLe(length));
  }
  if (flags & kFlagName) reader.SkipString();
  if (flags & kFlagComment) reader.SkipString();
  if (flags & kFlagHeaderCrc) {
    uint32_t expected = reader.crc() & 0xffff;
    std::byte stored[2];
    reader.Read(stored);
    if (LoadLe(stored) != expected) reader.Fail("gzip header CRC mismatch");
  }
  return reader.position();
}

GzipTrailer ReadGzipTrailer(BlobInput& input, uint64_t offset, const std::string& name) {
  std::byte bytes[8];
  if (!input.Copy(offset, bytes)) {
    ThrowBadImage(name + ": truncated gzip stream (trailer missing at offset " +
                  std::to_string(offset) + ")");
  }
  std::span<const std::byte> all(bytes);
  return GzipTrailer{LoadLe(all.first(4)), LoadLe(all.subspan(4))};
}

}  // namespace imgmount
