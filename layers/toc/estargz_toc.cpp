#include "layers/toc/estargz_toc.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/toc/gzip_members.h"

namespace imgmount {
namespace {

constexpr std::string_view kTocName = "stargz.index.json";
constexpr size_t kTarBlock = 512;

// The value of the octal tar field text[at, at + length) (NULs and spaces end it); nullopt if
// it holds anything else.
std::optional<uint64_t> OctalField(const std::string& header, size_t at, size_t length) {
  uint64_t v = 0;
  size_t i = at;
  while (i < at + length && header[i] == ' ') ++i;
  size_t digits = 0;
  for (; i < at + length && header[i] >= '0' && header[i] <= '7'; ++i, ++digits) {
    if (v > (UINT64_MAX >> 3)) return std::nullopt;
    v = v * 8 + static_cast<uint64_t>(header[i] - '0');
  }
  for (; i < at + length; ++i) {
    if (header[i] != '\0' && header[i] != ' ') return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<uint64_t> FindEstargzToc(const ByteSource& blob) {
  uint64_t size = blob.Size();
  if (size < kEstargzFooterBytes) return std::nullopt;
  std::array<unsigned char, kEstargzFooterBytes> f{};
  ReadExactly(blob, size - f.size(), std::as_writable_bytes(std::span(f)));
  // gzip magic, deflate, FEXTRA only; XLEN 26; subfield "SG" of 22 bytes.
  if (f[0] != 0x1f || f[1] != 0x8b || f[2] != 8 || (f[3] & 4) == 0 || f[10] != 26 || f[11] != 0 ||
      f[12] != 'S' || f[13] != 'G' || f[14] != 22 || f[15] != 0 ||
      std::memcmp(f.data() + 32, "STARGZ", 6) != 0) {
    return std::nullopt;
  }
  uint64_t offset = 0;
  for (size_t i = 16; i < 32; ++i) {
    char c = static_cast<char>(f[i]);
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) ThrowBadImage(blob.Describe() + ": eStargz footer with a malformed offset");
    offset = offset * 16 + static_cast<uint64_t>(digit);
  }
  if (offset >= size - kEstargzFooterBytes) {
    ThrowBadImage(blob.Describe() + ": eStargz footer names TOC offset " + std::to_string(offset) +
                  ", outside the blob");
  }
  return offset;
}

EstargzToc ReadEstargzToc(const ByteSource& blob, uint64_t offset, const Annotations& annotations) {
  std::string where = blob.Describe() + ": eStargz TOC";
  uint64_t end = blob.Size() - kEstargzFooterBytes;
  std::string header(kTarBlock, '\0');
  InflateMembersAt(blob, offset, end, 0, std::as_writable_bytes(std::span(header)), where);
  std::string name = header.substr(0, 100);
  name.resize(std::strlen(name.c_str()));
  if (name != kTocName || (header[156] != '0' && header[156] != '\0')) {
    ThrowBadImage(where + " is not the tar entry " + std::string(kTocName));
  }
  auto size = OctalField(header, 124, 12);
  if (!size || *size == 0 || *size > kMaxTocBytes) ThrowBadImage(where + " has an absurd size");
  std::string json(static_cast<size_t>(*size), '\0');
  InflateMembersAt(blob, offset, end, kTarBlock, std::as_writable_bytes(std::span(json)), where);
  EstargzToc toc;
  toc.offset = offset;
  toc.tar_header = std::move(header);
  toc.json = std::move(json);
  for (const auto& [key, value] : annotations) {
    if (key != kEstargzTocDigestAnnotation) continue;
    if (!IsValidDigest(value)) ThrowBadImage(where + ": annotation " + key + " is no digest");
    Hasher hasher(AlgorithmOf(value));
    hasher.Update(std::as_bytes(std::span(toc.json)));
    std::string actual = hasher.Finish();
    if (actual != value) {
      throw Error(
          ErrorKind::kIntegrity, EIO,
          where + " digest mismatch: the annotation says " + value + ", the TOC has " + actual);
    }
    toc.digest = value;
  }
  return toc;
}

}  // namespace imgmount
