// gzip via zlib, zstd via libzstd, SHA-256 via OpenSSL.
#include "tests/support/codec.h"

#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <stdexcept>

namespace imgmount::fixture {
namespace {

// Appends a 32-bit little-endian number.
void AppendLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip compression failed");
  out.resize(produced);
  return out;
}

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string ZstdCompressFrames(std::string_view data, size_t frame_size, int level) {
  if (frame_size == 0) throw std::invalid_argument("zstd frame size must be positive");
  std::string out;
  size_t pos = 0;
  do {
    out += ZstdCompress(data.substr(pos, frame_size), level);
    pos += frame_size;
  } while (pos < data.size());
  return out;
}

std::string GzipCompressMembers(std::string_view data, size_t frame_size, int level) {
  if (frame_size == 0) throw std::invalid_argument("gzip member size must be positive");
  std::string out;
  size_t pos = 0;
  do {
    out += GzipCompress(data.substr(pos, frame_size), level);
    pos += frame_size;
  } while (pos < data.size());
  return out;
}

std::string ZstdCompressSeekable(std::string_view data, size_t frame_size, int level) {
  if (frame_size == 0) throw std::invalid_argument("zstd frame size must be positive");
  if (frame_size > UINT32_MAX) throw std::invalid_argument("zstd seekable frames must be < 4 GiB");
  std::string out;
  std::string table;
  uint32_t frames = 0;
  size_t pos = 0;
  do {
    const std::string_view input = data.substr(pos, frame_size);
    const std::string frame = ZstdCompress(input, level);
    out += frame;
    AppendLe32(table, static_cast<uint32_t>(frame.size()));
    AppendLe32(table, static_cast<uint32_t>(input.size()));
    ++frames;
    pos += frame_size;
  } while (pos < data.size());
  AppendLe32(table, frames);
  table += '\0';  // descriptor: no checksums
  AppendLe32(table, 0x8F92EAB1u);
  AppendLe32(out, 0x184D2A5Eu);
  AppendLe32(out, static_cast<uint32_t>(table.size()));
  return out + table;
}

std::string Compress(std::string_view data, Compression method, size_t frame_size) {
  switch (method) {
    case Compression::kNone:
      return std::string(data);
    case Compression::kGzip:
      return GzipCompress(data);
    case Compression::kGzipMulti:
      return GzipCompressMembers(data, frame_size);
    case Compression::kZstd:
      return ZstdCompress(data);
    case Compression::kZstdMulti:
      return ZstdCompressFrames(data, frame_size);
    case Compression::kZstdSeekable:
      return ZstdCompressSeekable(data, frame_size);
    case Compression::kEstargz:
      throw std::invalid_argument("estargz is made from a layer's entries, not from bytes");
  }
  throw std::invalid_argument("unknown compression");
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string Sha256Digest(std::string_view data) {
  return "sha256:" + Sha256Hex(data);
}

Compression ParseCompression(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "gzip-multi") return Compression::kGzipMulti;
  if (name == "zstd-multi") return Compression::kZstdMulti;
  if (name == "zstd-seekable") return Compression::kZstdSeekable;
  if (name == "estargz") return Compression::kEstargz;
  throw std::invalid_argument("unknown compression '" + std::string(name) +
                              "' (expected none, gzip, gzip-multi, zstd, zstd-multi, "
                              "zstd-seekable or estargz)");
}

const char* CompressionName(Compression method) {
  switch (method) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kGzipMulti:
      return "gzip-multi";
    case Compression::kZstd:
      return "zstd";
    case Compression::kZstdMulti:
      return "zstd-multi";
    case Compression::kZstdSeekable:
      return "zstd-seekable";
    case Compression::kEstargz:
      return "estargz";
  }
  return "?";
}

}  // namespace imgmount::fixture
