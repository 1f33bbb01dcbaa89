// Sectioned binary files: the container of imgmount's persistent indexes (a layer's index, an
// outer archive's index). A file is a fixed header, a table of sections and the sections, each
// section 8-byte aligned so that tables of fixed-size records can be used in place once mapped.
//
//   offset  size  field
//   0       8     magic: names the kind of file ("IMGMLAYR", "IMGMARCH")
//   8       4     version of that kind's format (a reader refuses every other version)
//   12      4     byte-order mark 0x01020304: integers are in the writer's byte order
//                 (little-endian on every supported machine); a reader of the other order
//                 refuses the file
//   16      8     file size in bytes (must equal the size of the file on disk)
//   24      4     N, the number of sections (at most 64)
//   28      4     CRC-32 (gzip/zlib polynomial) of bytes [32, file size): table and sections
//   32      24*N  section table, per section: u32 id (four ASCII characters, distinct),
//                 u32 zero, u64 offset, u64 size
//   ...           the sections, in table order: offsets 8-aligned, at or after the end of the
//                 table and of the previous section; zero padding between; the last section
//                 ends at the file size
//
// Files are written to a temporary file in the destination directory and renamed into place,
// so a reader sees a whole old file or a whole new one; they are never modified in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imgmount {

/// The id of a section: its four-character name as a little-endian integer.
constexpr uint32_t SectionId(const char (&name)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(name[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(name[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(name[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(name[3])) << 24;
}

/// Size of the fixed header in bytes.
inline constexpr uint64_t kSectionHeaderBytes = 32;
/// Size of one entry of the section table in bytes.
inline constexpr uint64_t kSectionEntryBytes = 24;
/// Most sections a file may have.
inline constexpr uint32_t kMaxSections = 64;

/// CRC-32 with the gzip/zlib polynomial, continuing from `crc` (0 to start).
uint32_t Crc32(uint32_t crc, std::span<const std::byte> bytes);

/// Collects sections and writes them as one file.
class SectionFileWriter {
 public:
  /// A writer of files of kind `magic` (8 characters) at `version`.
  SectionFileWriter(std::string_view magic, uint32_t version);

  /// Adds a section; the bytes must stay valid until Write returns.
  void Add(uint32_t id, std::span<const std::byte> bytes);

  /// Adds a section that the writer keeps a copy of.
  void AddOwned(uint32_t id, std::string bytes);

  /// Adds a table of fixed-size records as a section.
  template <class T>
  void AddTable(uint32_t id, std::span<const T> rows) {
    Add(id, std::as_bytes(rows));
  }

  /// Size the file will have.
  uint64_t FileSize() const;

  /// Writes the file to `path` atomically (temporary file + rename). Returns false and sets
  /// `why` on failure (a full or read-only disk), leaving no temporary file behind.
  bool Write(const std::string& path, std::string* why) const;

 private:
  struct Section {
    uint32_t id;
    std::span<const std::byte> bytes;
  };
  std::string magic_;
  uint32_t version_;
  std::vector<Section> sections_;
  std::vector<std::unique_ptr<std::string>> owned_;
};

/// A section file mapped read-only and checked: header, table, sizes and CRC.
class SectionFile {
 public:
  /// Maps `path` and checks it against `magic` and `version`. Returns null and sets `why` if the
  /// file is missing (why = "") or anything about it is wrong.
  static std::shared_ptr<const SectionFile> Open(const std::string& path, std::string_view magic,
                                                 uint32_t version, std::string* why);
  ~SectionFile();
  SectionFile(const SectionFile&) = delete;
  SectionFile& operator=(const SectionFile&) = delete;

  /// The bytes of section `id`, or nullopt if the file has none.
  std::optional<std::span<const std::byte>> Section(uint32_t id) const;

  /// Size of the whole file.
  uint64_t size() const { return size_; }

 private:
  SectionFile(const std::byte* data, uint64_t size) : data_(data), size_(size) {}
  std::string Check(std::string_view magic, uint32_t version);

  const std::byte* data_;
  uint64_t size_;
  std::vector<std::pair<uint32_t, std::span<const std::byte>>> sections_;
};

/// Views section bytes as a table of T; nullopt if the size is not a multiple of sizeof(T).
template <class T>
std::optional<std::span<const T>> AsTable(std::span<const std::byte> bytes) {
  if (bytes.size() % sizeof(T) != 0) return std::nullopt;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(T) != 0) return std::nullopt;
  return std::span<const T>(reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T));
}

/// Encodes strings as one section: per string a u32 length and the bytes.
std::string EncodeFields(const std::vector<std::string>& fields);

/// Decodes exactly `count` strings written by EncodeFields; nullopt if the bytes are anything
/// else.
std::optional<std::vector<std::string>> DecodeFields(std::span<const std::byte> bytes,
                                                     size_t count);

/// Creates `path` with the bytes `fill` writes to its descriptor, atomically: a temporary file
/// in the same directory renamed into place. Returns false and sets `why` on failure.
bool WriteFileAtomically(const std::string& path, const std::function<bool(int fd)>& fill,
                         std::string* why);

/// Writes all of `bytes` to `fd`; false (errno set) on failure.
bool WriteAll(int fd, std::span<const std::byte> bytes);

}  // namespace imgmount
