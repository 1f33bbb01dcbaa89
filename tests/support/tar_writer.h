// Builds tar archives in memory with full control over every header, for fixtures and hostile
// inputs: ustar headers, PAX and GNU extensions, PAX 1.0 sparse files and raw escape hatches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgmount::fixture {

/// The kind of file a tar entry describes.
enum class TarType { kRegular, kHardlink, kSymlink, kCharDevice, kBlockDevice, kDirectory, kFifo };

/// How a name or link target longer than the ustar fields is written.
enum class LongNameStyle {
  kPax,          ///< a PAX `path` / `linkpath` record whenever the value exceeds 100 bytes
  kGnu,          ///< a GNU `././@LongLink` entry (type L / K) whenever it exceeds 100 bytes
  kUstarPrefix,  ///< the ustar prefix/name split when it fits, otherwise a PAX record
};

/// One data region of a sparse file: `length` bytes of content stored from `offset`.
struct SparseChunk {
  uint64_t offset = 0;  ///< offset of the region in the logical file
  uint64_t length = 0;  ///< length of the region (0 is allowed, e.g. a terminal marker)
};

/// Everything a tar member can carry; unset optional parts are simply not written.
struct TarEntry {
  std::string path;                  ///< member name, written byte for byte
  TarType type = TarType::kRegular;  ///< file type
  uint32_t mode = 0644;              ///< permission bits including setuid/setgid/sticky
  uint64_t uid = 0;                  ///< numeric owner
  uint64_t gid = 0;                  ///< numeric group
  std::string uname;                 ///< symbolic owner, empty when not written
  std::string gname;                 ///< symbolic group, empty when not written
  int64_t mtime = 0;                 ///< modification time, seconds since the epoch
  uint32_t mtime_nsec = 0;           ///< nanoseconds; non-zero adds a PAX `mtime` record
  std::string content;               ///< file data (for sparse files: the whole logical file)
  std::string link_target;           ///< symlink or hardlink target
  uint32_t dev_major = 0;            ///< device major number
  uint32_t dev_minor = 0;            ///< device minor number
  std::vector<std::pair<std::string, std::string>> xattrs;  ///< written as SCHILY.xattr.NAME
  std::optional<std::vector<SparseChunk>> sparse;           ///< PAX 1.0 sparse map over `content`
  LongNameStyle long_names = LongNameStyle::kPax;  ///< how over-long path / target are written
  std::vector<std::pair<std::string, std::string>> extra_pax;  ///< additional PAX records
};

/// Low-level ustar header fields, written verbatim for hostile-input tests.
struct RawHeaderFields {
  std::string name;                               ///< bytes of the 100-byte name field
  uint64_t mode = 0644;                           ///< mode field value (octal)
  uint64_t uid = 0;                               ///< uid field value (octal or base-256)
  uint64_t gid = 0;                               ///< gid field value (octal or base-256)
  uint64_t size = 0;                              ///< size field value (octal or base-256)
  int64_t mtime = 0;                              ///< mtime field value (octal or base-256)
  char typeflag = '0';                            ///< type flag byte
  std::string linkname;                           ///< bytes of the 100-byte linkname field
  std::string magic = std::string("ustar\0", 6);  ///< 6 magic bytes
  std::string version = "00";                     ///< 2 version bytes
  std::string uname;                              ///< bytes of the 32-byte uname field
  std::string gname;                              ///< bytes of the 32-byte gname field
  uint64_t devmajor = 0;                          ///< devmajor field value
  uint64_t devminor = 0;                          ///< devminor field value
  std::string prefix;                             ///< bytes of the 155-byte prefix field
  std::optional<uint32_t> checksum;               ///< forced checksum value; computed when unset
};

/// Encodes one 512-byte header block from raw fields.
std::string EncodeRawHeader(const RawHeaderFields& fields);

/// Encodes PAX extended-header records ("LEN key=value\n" each) in the given order.
std::string EncodePaxRecords(const std::vector<std::pair<std::string, std::string>>& records);

/// Accumulates tar members into an in-memory archive.
class TarWriter {
 public:
  /// Appends one entry with whatever extension headers it needs.
  void Add(const TarEntry& entry);

  /// Appends one header block built from raw fields (no data).
  void AppendHeader(const RawHeaderFields& fields);

  /// Appends data bytes followed by zero padding up to the next 512-byte boundary.
  void AppendData(std::string_view data);

  /// Appends bytes verbatim, without any padding.
  void AppendRaw(std::string_view bytes);

  /// Appends the two zero blocks that mark the end of an archive.
  void AppendEndOfArchive();

  /// Pads the archive with zero bytes up to a multiple of `record_size` (GNU tar uses 10240).
  void PadToRecord(size_t record_size);

  /// The bytes written so far.
  const std::string& bytes() const { return out_; }

  /// Moves the archive out of the writer, leaving it empty.
  std::string Take() { return std::move(out_); }

 private:
  void AddGnuLongLink(char typeflag, const std::string& value);
  void AddPaxHeader(const TarEntry& entry,
                    const std::vector<std::pair<std::string, std::string>>& records);

  std::string out_;
};

/// Options for BuildTar.
struct TarOptions {
  bool end_of_archive = true;  ///< write the two terminating zero blocks
  size_t record_size = 0;      ///< pad the archive to a multiple of this (0: no padding)
};

/// Builds a whole archive from entries in order.
std::string BuildTar(const std::vector<TarEntry>& entries, const TarOptions& options = {});

}  // namespace imgmount::fixture
