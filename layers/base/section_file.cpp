#include "layers/base/section_file.h"

#include <fcntl.h>
#include <isa-l/crc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace imgmount {

namespace {

constexpr uint32_t kByteOrderMark = 0x01020304;
// Index files are a few percent of their layer; anything this large is not one of ours.
constexpr uint64_t kMaxFileBytes = uint64_t{16} << 30;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t byte_order;
  uint64_t file_size;
  uint32_t count;
  uint32_t crc;
};
static_assert(sizeof(Header) == kSectionHeaderBytes);

struct Entry {
  uint32_t id;
  uint32_t zero;
  uint64_t offset;
  uint64_t size;
};
static_assert(sizeof(Entry) == kSectionEntryBytes);

uint64_t AlignUp(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

std::string IdName(uint32_t id) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((id >> (8 * i)) & 0xff);
    name += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return name;
}

}  // namespace

uint32_t Crc32(uint32_t crc, std::span<const std::byte> bytes) {
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

bool WriteAll(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::function<bool(int fd)>& fill,
                         std::string* why) {
  std::string temp = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    *why = "cannot create a file next to " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = fill(fd);
  int saved = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    *why = "cannot write " + path + ": " + std::strerror(saved);
  }
  return ok;
}

SectionFileWriter::SectionFileWriter(std::string_view magic, uint32_t version)
    : magic_(magic), version_(version) {
  magic_.resize(8, '\0');
}

void SectionFileWriter::Add(uint32_t id, std::span<const std::byte> bytes) {
  sections_.push_back({id, bytes});
}

void SectionFileWriter::AddOwned(uint32_t id, std::string bytes) {
  owned_.push_back(std::make_unique<std::string>(std::move(bytes)));
  Add(id, std::as_bytes(std::span(*owned_.back())));
}

uint64_t SectionFileWriter::FileSize() const {
  uint64_t at = kSectionHeaderBytes + kSectionEntryBytes * sections_.size();
  for (const Section& s : sections_) at = AlignUp(at) + s.bytes.size();
  return at;
}

bool SectionFileWriter::Write(const std::string& path, std::string* why) const {
  std::vector<Entry> table;
  uint64_t at = kSectionHeaderBytes + kSectionEntryBytes * sections_.size();
  for (const Section& s : sections_) {
    at = AlignUp(at);
    table.push_back({s.id, 0, at, s.bytes.size()});
    at += s.bytes.size();
  }
  Header header{};
  std::memcpy(header.magic, magic_.data(), 8);
  header.version = version_;
  header.byte_order = kByteOrderMark;
  header.file_size = at;
  header.count = static_cast<uint32_t>(sections_.size());
  static constexpr std::byte kZeros[8] = {};
  // The CRC covers the table, the padding and the sections, in file order.
  uint32_t crc = Crc32(0, std::as_bytes(std::span(table)));
  uint64_t position = kSectionHeaderBytes + kSectionEntryBytes * table.size();
  for (size_t i = 0; i < sections_.size(); ++i) {
    crc = Crc32(crc, std::span(kZeros, table[i].offset - position));
    crc = Crc32(crc, sections_[i].bytes);
    position = table[i].offset + table[i].size;
  }
  header.crc = crc;
  return WriteFileAtomically(
      path,
      [&](int fd) {
        if (!WriteAll(fd, std::as_bytes(std::span(&header, 1))) ||
            !WriteAll(fd, std::as_bytes(std::span(table)))) {
          return false;
        }
        uint64_t written = kSectionHeaderBytes + kSectionEntryBytes * table.size();
        for (size_t i = 0; i < sections_.size(); ++i) {
          if (!WriteAll(fd, std::span(kZeros, table[i].offset - written)) ||
              !WriteAll(fd, sections_[i].bytes)) {
            return false;
          }
          written = table[i].offset + table[i].size;
        }
        return true;
      },
      why);
}

std::shared_ptr<const SectionFile> SectionFile::Open(const std::string& path,
                                                     std::string_view magic, uint32_t version,
                                                     std::string* why) {
  why->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) *why = std::string("cannot open it: ") + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  void* map = MAP_FAILED;
  uint64_t size = 0;
  if (::fstat(fd, &st) != 0) {
    *why = std::string("cannot stat it: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
  } else if (static_cast<uint64_t>(st.st_size) < kSectionHeaderBytes) {
    *why = "truncated (" + std::to_string(st.st_size) + " bytes)";
  } else if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    *why = "implausibly large";
  } else {
    size = static_cast<uint64_t>(st.st_size);
    map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) *why = std::string("cannot map it: ") + std::strerror(errno);
  }
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  std::shared_ptr<SectionFile> file(new SectionFile(static_cast<const std::byte*>(map), size));
  *why = file->Check(magic, version);
  if (!why->empty()) return nullptr;
  return file;
}

SectionFile::~SectionFile() {
  ::munmap(const_cast<std::byte*>(data_), size_);
}

std::string SectionFile::Check(std::string_view magic, uint32_t version) {
  Header header;
  std::memcpy(&header, data_, sizeof header);
  std::string want(magic);
  want.resize(8, '\0');
  if (std::memcmp(header.magic, want.data(), 8) != 0) return "not an imgmount index of this kind";
  if (header.byte_order != kByteOrderMark) return "written on a machine of another byte order";
  if (header.version != version) {
    return "format version " + std::to_string(header.version) + ", this imgmount reads " +
           std::to_string(version);
  }
  if (header.file_size != size_) {
    return "truncated or extended: " + std::to_string(size_) + " bytes, the header says " +
           std::to_string(header.file_size);
  }
  if (header.count > kMaxSections) return "too many sections";
  uint64_t table_end = kSectionHeaderBytes + kSectionEntryBytes * header.count;
  if (table_end > size_) return "section table past the end of the file";
  std::span<const std::byte> covered(data_ + kSectionHeaderBytes, size_ - kSectionHeaderBytes);
  if (Crc32(0, covered) != header.crc) return "checksum mismatch (the file is corrupt)";
  uint64_t previous_end = table_end;
  for (uint32_t i = 0; i < header.count; ++i) {
    Entry e;
    std::memcpy(&e, data_ + kSectionHeaderBytes + kSectionEntryBytes * i, sizeof e);
    std::string name = "section " + IdName(e.id);
    if (e.zero != 0 || e.offset % 8 != 0 || e.offset < previous_end || e.offset > size_ ||
        e.size > size_ - e.offset) {
      return name + " lies outside its place in the file";
    }
    for (const auto& [id, bytes] : sections_) {
      if (id == e.id) return name + " appears twice";
    }
    sections_.emplace_back(e.id, std::span(data_ + e.offset, static_cast<size_t>(e.size)));
    previous_end = e.offset + e.size;
  }
  if (previous_end != size_) return "bytes after the last section";
  return "";
}

std::optional<std::span<const std::byte>> SectionFile::Section(uint32_t id) const {
  for (const auto& [section_id, bytes] : sections_) {
    if (section_id == id) return bytes;
  }
  return std::nullopt;
}

std::string EncodeFields(const std::vector<std::string>& fields) {
  std::string out;
  for (const std::string& field : fields) {
    auto length = static_cast<uint32_t>(field.size());
    out.append(reinterpret_cast<const char*>(&length), sizeof length);
    out += field;
  }
  return out;
}

std::optional<std::vector<std::string>> DecodeFields(std::span<const std::byte> bytes,
                                                     size_t count) {
  std::vector<std::string> fields;
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t length = 0;
    if (bytes.size() - at < sizeof length) return std::nullopt;
    std::memcpy(&length, bytes.data() + at, sizeof length);
    at += sizeof length;
    if (length > bytes.size() - at) return std::nullopt;
    fields.emplace_back(reinterpret_cast<const char*>(bytes.data() + at), length);
    at += length;
  }
  if (at != bytes.size()) return std::nullopt;
  return fields;
}

}  // namespace imgmount
