// Test data for the byte-source tests: deterministic, moderately compressible text; gzip (zlib
// and ISA-L), zstd and skippable frames built with the libraries directly; SHA-256 via OpenSSL;
// temporary files.
#pragma once

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "layers/source/basic_sources.h"
#include "layers/source/byte_source.h"

namespace imgmount::testing {

/// A small deterministic generator (xorshift64*).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

/// `size` bytes of text-like data from `seed` that gzip compresses about 3:1.
inline std::string MakeText(size_t size, uint64_t seed) {
  static const char* const kWords[] = {
      "layer",  "image",  "mount",  "read",  "only",      "gzip",     "zstd",    "span",   "point",
      "window", "the",    "of",     "and",   "to",        "in",       "is",      "for",    "on",
      "with",   "as",     "usr",    "lib",   "bin",       "share",    "doc",     "etc",    "var",
      "opt",    "x86_64", "linux",  "gnu",   "so",        "conf",     "static",  "return", "int",
      "void",   "const",  "struct", "class", "namespace", "template", "uint64_t"};
  constexpr size_t kCount = sizeof(kWords) / sizeof(kWords[0]);
  Rng rng(seed);
  std::string out;
  out.reserve(size + 64);
  while (out.size() < size) {
    uint64_t r = rng.Next();
    if (r % 7 == 0) {
      out += std::to_string(r >> 40);
    } else if (r % 13 == 0) {
      for (int i = 0; i < 6; ++i) out.push_back(static_cast<char>(33 + (rng.Next() % 90)));
    } else {
      out += kWords[(r >> 8) % kCount];
    }
    out.push_back(r % 11 == 0 ? '\n' : ' ');
  }
  out.resize(size);
  return out;
}

/// Options of a gzip member built with zlib.
struct GzipOptions {
  int level = 6;
  int mem_level = 8;
  int strategy = Z_DEFAULT_STRATEGY;
  bool header_fields = false;  ///< add FNAME, FEXTRA, FCOMMENT and FHCRC
};

/// One gzip member of `data` made by zlib.
inline std::string GzipMember(std::string_view data, const GzipOptions& o = {}) {
  z_stream zs{};
  if (deflateInit2(&zs, o.level, Z_DEFLATED, 31, o.mem_level, o.strategy) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  gz_header header{};
  std::string name = "name.tar", comment = "a comment", extra = "XYextra";
  if (o.header_fields) {
    header.name = reinterpret_cast<Bytef*>(name.data());
    header.comment = reinterpret_cast<Bytef*>(comment.data());
    header.extra = reinterpret_cast<Bytef*>(extra.data());
    header.extra_len = static_cast<uInt>(extra.size());
    header.hcrc = 1;
    deflateSetHeader(&zs, &header);
  }
  std::string out(deflateBound(&zs, data.size()) + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

/// One gzip member of `data` made by ISA-L at `level` (0-3).
inline std::string IsalGzipMember(std::string_view data, int level) {
  isal_zstream zs;
  isal_deflate_init(&zs);
  std::vector<uint8_t> level_buf(ISAL_DEF_LVL3_DEFAULT);
  zs.gzip_flag = IGZIP_GZIP;
  zs.level = static_cast<uint32_t>(level);
  zs.level_buf = level_buf.data();
  zs.level_buf_size = static_cast<uint32_t>(level_buf.size());
  zs.end_of_stream = 1;
  zs.flush = NO_FLUSH;
  std::string out(data.size() + data.size() / 8 + 65536, '\0');
  zs.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uint32_t>(data.size());
  zs.next_out = reinterpret_cast<uint8_t*>(out.data());
  zs.avail_out = static_cast<uint32_t>(out.size());
  if (isal_deflate(&zs) != COMP_OK || zs.internal_state.state != ZSTATE_END) {
    throw std::runtime_error("isal_deflate");
  }
  out.resize(zs.total_out);
  return out;
}

/// Consecutive gzip members, one per piece of `data` cut at `cuts` (relative sizes in bytes).
inline std::string GzipMembers(std::string_view data, const std::vector<size_t>& sizes) {
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; pos < data.size() || i == 0; ++i) {
    size_t n = std::min(sizes[i % sizes.size()], data.size() - pos);
    GzipOptions o;
    o.level = 1 + static_cast<int>(i % 9);
    o.header_fields = i % 2 == 1;
    out += GzipMember(data.substr(pos, n), o);
    pos += n;
  }
  return out;
}

/// One zstd frame of `data` (content size in the header unless `streamed`).
inline std::string ZstdFrame(std::string_view data, int level = 3, bool checksum = true,
                             bool streamed = false) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()) + 64, '\0');
  size_t n;
  if (streamed) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    n = ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_end);
    if (!ZSTD_isError(n)) n = o.pos;
  } else {
    n = ZSTD_compress2(cctx, out.data(), out.size(), data.data(), data.size());
  }
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) throw std::runtime_error(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

/// A zstd skippable frame carrying `payload`.
inline std::string SkippableFrame(std::string_view payload) {
  std::string out = "\x50\x2a\x4d\x18";
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += payload;
  return out;
}

/// Consecutive zstd frames of `frame_size` bytes of `data` each.
inline std::string ZstdFrames(std::string_view data, size_t frame_size, int level = 3) {
  std::string out;
  for (size_t pos = 0; pos < data.size(); pos += frame_size) {
    out += ZstdFrame(data.substr(pos, frame_size), level, pos % 2 == 0);
  }
  return out;
}

/// "sha256:<hex>" computed with OpenSSL directly.
inline std::string Sha256Of(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

/// An in-memory source holding `bytes`.
inline SourcePtr Mem(std::string bytes, std::string name = "memory blob") {
  return std::make_shared<MemorySource>(std::move(bytes), std::move(name));
}

/// A temporary file that is removed when this goes away.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    char pattern[] = "/tmp/imgmount-test-XXXXXX";
    int fd = ::mkstemp(pattern);
    if (fd < 0) throw std::runtime_error("mkstemp");
    ::close(fd);
    path_ = pattern;
    Write(contents);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void Write(std::string_view contents) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  }

  /// Overwrites bytes in place and puts the modification time back, as a change that the
  /// file's size and mtime cannot reveal (only checksums can).
  void Patch(uint64_t offset, std::string_view bytes) const {
    struct stat before {};
    if (::stat(path_.c_str(), &before) != 0) throw std::runtime_error("stat");
    {
      std::fstream out(path_, std::ios::binary | std::ios::in | std::ios::out);
      out.seekp(static_cast<std::streamoff>(offset));
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    SetModificationTime(before.st_mtim);
  }

  /// Sets the file's modification time.
  void SetModificationTime(const struct timespec& mtime) const {
    struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
    if (::utimensat(AT_FDCWD, path_.c_str(), times, 0) != 0) throw std::runtime_error("utimensat");
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Bytes of `source` in [offset, offset + length) as a string (short at the end).
inline std::string ReadString(const ByteSource& source, uint64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t n = source.ReadAt(offset, std::as_writable_bytes(std::span(out.data(), out.size())));
  out.resize(n);
  return out;
}

}  // namespace imgmount::testing
