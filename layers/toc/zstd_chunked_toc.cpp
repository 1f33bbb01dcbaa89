#include "layers/toc/zstd_chunked_toc.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "layers/base/decimal.h"
#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"

namespace imgmount {
namespace {

constexpr std::string_view kFooterMagic = "GnUlInUx";
constexpr uint64_t kTocTypeCrfs = 1;
constexpr std::array<const char*, 2> kAnnotationPrefixes = {"io.github.containers.zstd-chunked",
                                                            "io.containers.zstd-chunked"};

uint64_t LittleEndian64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t LittleEndian32(const std::byte* p) {
  return static_cast<uint32_t>(LittleEndian64(p) & 0xffffffffu);
}

// Whether the 8 bytes at p are a zstd skippable frame header announcing `length` bytes.
bool IsSkippableHeader(const std::byte* p, uint64_t length) {
  uint32_t magic = LittleEndian32(p);
  return (magic & 0xfffffff0u) == 0x184d2a50u &&
         (static_cast<uint64_t>(static_cast<uint8_t>(p[4])) |
          static_cast<uint64_t>(static_cast<uint8_t>(p[5])) << 8 |
          static_cast<uint64_t>(static_cast<uint8_t>(p[6])) << 16 |
          static_cast<uint64_t>(static_cast<uint8_t>(p[7])) << 24) == length;
}

const std::string* FindAnnotation(const Annotations& annotations, const std::string& key) {
  for (const auto& [k, v] : annotations) {
    if (k == key) return &v;
  }
  return nullptr;
}

// "a:b:c[:d]" as numbers; nullopt unless 3 or 4 decimal fields.
std::optional<std::vector<uint64_t>> SplitNumbers(const std::string& text) {
  std::vector<uint64_t> out;
  size_t start = 0;
  while (true) {
    size_t colon = text.find(':', start);
    auto n = ParseDecimal(std::string_view(text).substr(
        start, colon == std::string::npos ? std::string::npos : colon - start));
    if (!n) return std::nullopt;
    out.push_back(*n);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (out.size() != 3 && out.size() != 4) return std::nullopt;
  return out;
}

void CheckPlace(const ByteSource& blob, const ZstdChunkedTocPlace& place, uint64_t end) {
  std::string where = blob.Describe() + ": zstd:chunked TOC (from the " + place.found_in + ")";
  if (place.length == 0 || place.length > kMaxTocBytes || place.uncompressed == 0 ||
      place.uncompressed > kMaxTocBytes) {
    ThrowBadImage(where + " has an absurd size (" + std::to_string(place.length) +
                  " bytes compressed, " + std::to_string(place.uncompressed) +
                  " uncompressed; at most " + std::to_string(kMaxTocBytes) + ")");
  }
  if (place.offset < 8 || place.offset > end || place.length > end - place.offset) {
    ThrowBadImage(where + " at " + std::to_string(place.offset) + "+" +
                  std::to_string(place.length) + " lies outside the blob");
  }
  std::array<std::byte, 8> header{};
  ReadExactly(blob, place.offset - 8, header);
  if (!IsSkippableHeader(header.data(), place.length)) {
    ThrowBadImage(where + " at " + std::to_string(place.offset) +
                  " is not in a skippable frame of its length");
  }
}

std::optional<ZstdChunkedTocPlace> FromAnnotations(const ByteSource& blob,
                                                   const Annotations& annotations) {
  for (const char* prefix : kAnnotationPrefixes) {
    std::string key = std::string(prefix) + ".manifest-position";
    const std::string* position = FindAnnotation(annotations, key);
    if (position == nullptr) continue;
    auto numbers = SplitNumbers(*position);
    if (!numbers || (numbers->size() == 4 && (*numbers)[3] != kTocTypeCrfs)) {
      ThrowBadImage(blob.Describe() + ": annotation " + key + " is not offset:length:" +
                    "uncompressedLength:1 (\"" + position->substr(0, 80) + "\")");
    }
    ZstdChunkedTocPlace place{(*numbers)[0], (*numbers)[1], (*numbers)[2], "", "annotation"};
    if (const std::string* checksum =
            FindAnnotation(annotations, std::string(prefix) + ".manifest-checksum")) {
      if (!IsValidDigest(*checksum)) {
        ThrowBadImage(blob.Describe() + ": annotation " + prefix +
                      ".manifest-checksum is no digest (\"" + checksum->substr(0, 80) + "\")");
      }
      place.digest = *checksum;
    }
    CheckPlace(blob, place, blob.Size());
    return place;
  }
  return std::nullopt;
}

std::optional<ZstdChunkedTocPlace> FromFooter(const ByteSource& blob) {
  constexpr uint64_t kLongFooter = 64;
  constexpr uint64_t kShortFooter = 40;
  uint64_t size = blob.Size();
  if (size < 8 + kShortFooter) return std::nullopt;
  std::array<std::byte, 8 + kLongFooter> tail{};
  uint64_t have = std::min<uint64_t>(size, tail.size());
  std::span<std::byte> bytes(tail.data() + tail.size() - have, have);
  ReadExactly(blob, size - have, bytes);
  const std::byte* end = tail.data() + tail.size();
  if (std::memcmp(end - kFooterMagic.size(), kFooterMagic.data(), kFooterMagic.size()) != 0) {
    return std::nullopt;
  }
  for (uint64_t footer : {kLongFooter, kShortFooter}) {
    if (have < 8 + footer) continue;
    const std::byte* frame = end - footer - 8;
    if (!IsSkippableHeader(frame, footer)) continue;
    const std::byte* data = frame + 8;
    uint64_t type = LittleEndian64(data + footer - 16);
    if (type != kTocTypeCrfs) {
      ThrowBadImage(blob.Describe() + ": zstd:chunked footer names TOC type " +
                    std::to_string(type) + ", not 1");
    }
    ZstdChunkedTocPlace place{LittleEndian64(data), LittleEndian64(data + 8),
                              LittleEndian64(data + 16), "", "footer"};
    CheckPlace(blob, place, size - footer - 8);
    return place;
  }
  ThrowBadImage(blob.Describe() + ": zstd:chunked footer magic without a footer frame");
}

}  // namespace

std::optional<ZstdChunkedTocPlace> FindZstdChunkedToc(const ByteSource& blob,
                                                      const Annotations& annotations) {
  if (auto place = FromAnnotations(blob, annotations)) return place;
  return FromFooter(blob);
}

std::string ReadZstdChunkedToc(const ByteSource& blob, const ZstdChunkedTocPlace& place) {
  std::string compressed(place.length, '\0');
  ReadExactly(blob, place.offset,
              std::span(reinterpret_cast<std::byte*>(compressed.data()), compressed.size()));
  if (!place.digest.empty()) {
    Hasher hasher(AlgorithmOf(place.digest));
    hasher.Update(std::as_bytes(std::span(compressed)));
    std::string actual = hasher.Finish();
    if (actual != place.digest) {
      throw Error(ErrorKind::kIntegrity, EIO,
                  blob.Describe() + ": zstd:chunked TOC digest mismatch: the annotation says " +
                      place.digest + ", the TOC has " + actual);
    }
  }
  std::string json(place.uncompressed, '\0');
  size_t got = ZSTD_decompress(json.data(), json.size(), compressed.data(), compressed.size());
  if (ZSTD_isError(got) || got != json.size()) {
    ThrowBadImage(blob.Describe() + ": zstd:chunked TOC does not decompress to its stated " +
                  std::to_string(place.uncompressed) + " bytes" +
                  (ZSTD_isError(got) ? std::string(" (") + ZSTD_getErrorName(got) + ")" : ""));
  }
  return json;
}

}  // namespace imgmount
