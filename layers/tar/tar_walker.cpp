// The tar reader, with the semantics of Go's archive/tar (src/archive/tar/reader.go, format.go,
// strconv.go, common.go), which docker, containerd, podman, buildah and umoci all read layers
// with:
// - a header block is valid when its checksum (field read as octal) equals the unsigned or the
//   signed byte sum with the checksum field taken as spaces; its format is guessed from the magic
//   (USTAR "ustar\0" + "00", GNU "ustar " + " \0", STAR with "tar\0" at 508, else V7). Numbers
//   are octal or GNU base-256, and a bad one in any field Go parses fails the archive.
// - the end is two zero blocks, or the stream ending at a block boundary or inside a member's
//   padding; a zero block followed by anything else, a partial header and a stream that ends
//   inside a member's data are errors.
// - a member's data is `size` bytes rounded up to 512, except for links, devices, directories and
//   fifos ('1'-'6'), which have none whatever the size says; a negative size is an error.
// - 'x' records apply to the next member only (a later 'x' replaces them); 'g' records apply to
//   nothing (Go returns them as a header of their own, which the runtimes skip); 'L' and 'K'
//   give the next member's name and link target. 'x', 'g', 'L', 'K' hold at most 1 MiB.
// - PAX records with an empty value are ignored: the ustar field stays, and no xattr is made.
//   Only "SCHILY.xattr.NAME" records become xattrs; every other vendor record is ignored.
// - sparse files: old GNU 'S' headers (with extension blocks), PAX 0.0, 0.1 and 1.0 (the map at
//   the start of the data); the map must be valid for the real size and describe exactly the
//   stored data (Go fails the read otherwise). See layers/tar/tar_sparse.h.
#include "layers/tar/tar_walker.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "layers/base/error.h"
#include "layers/base/member_path.h"
#include "layers/stream/decode_pass.h"
#include "layers/tar/tar_numbers.h"
#include "layers/tar/tar_sparse.h"

namespace imgmount {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxSpecialFileSize = 1u << 20;
constexpr size_t kBufferSize = 64 * 1024;
constexpr std::string_view kXattrPrefix = "SCHILY.xattr.";

enum class Format { kV7, kUstar, kGnu, kStar };

std::string_view Field(const char* block, size_t offset, size_t length) {
  return std::string_view(block + offset, length);
}

bool IsZeroBlock(const char* block) {
  return std::all_of(block, block + kBlock, [](char c) { return c == 0; });
}

bool ChecksumMatches(const char* block) {
  auto stored = ParseTarOctal(Field(block, 148, 8));
  if (!stored) return false;
  // Sums of the whole block (a loop the compiler vectorises), then the checksum field taken as
  // eight spaces.
  int32_t unsigned_sum = 0;
  int32_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    unsigned_sum += static_cast<unsigned char>(block[i]);
    signed_sum += static_cast<signed char>(block[i]);
  }
  for (size_t i = 148; i < 156; ++i) {
    unsigned_sum -= static_cast<unsigned char>(block[i]);
    signed_sum -= static_cast<signed char>(block[i]);
  }
  unsigned_sum += 8 * ' ';
  signed_sum += 8 * ' ';
  return *stored == unsigned_sum || *stored == signed_sum;
}

Format FormatOf(const char* block) {
  using namespace std::string_view_literals;
  std::string_view magic = Field(block, 257, 6);
  if (magic == "ustar\0"sv)
    return Field(block, 508, 4) == "tar\0"sv ? Format::kStar : Format::kUstar;
  if (magic == "ustar "sv && Field(block, 263, 2) == " \0"sv) return Format::kGnu;
  return Format::kV7;
}

bool IsHeaderOnly(char typeflag) {
  return typeflag >= '1' && typeflag <= '6';
}

uint64_t Padding(uint64_t size) {
  return (kBlock - size % kBlock) % kBlock;
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

TarEntryKind KindOfTypeflag(char typeflag) {
  switch (typeflag) {
    case '0':
    case '7':
    case 'S':
      return TarEntryKind::kRegular;
    case '1':
      return TarEntryKind::kHardlink;
    case '2':
      return TarEntryKind::kSymlink;
    case '3':
      return TarEntryKind::kCharDevice;
    case '4':
      return TarEntryKind::kBlockDevice;
    case '5':
    case 'D':
      return TarEntryKind::kDirectory;
    case '6':
      return TarEntryKind::kFifo;
    default:
      return TarEntryKind::kOther;
  }
}

TarWalker::TarWalker(DecodePass& pass, std::string name)
    : pass_(pass), name_(std::move(name)), buffer_(kBufferSize) {}

const TarHeader* TarWalker::Next() {
  if (done_) return nullptr;
  Pending pending;
  if (!ReadMember(pending)) {
    done_ = true;
    return nullptr;
  }
  ++count_;
  return &header_;
}

bool TarWalker::ReadMember(Pending& pending) {
  uint64_t first = 0;
  bool have_first = false;
  while (true) {
    if (!FinishMember()) return false;
    const uint64_t at = Position();
    if (!have_first) first = at;
    have_first = true;
    char block[kBlock];
    if (!ReadBlock(block, at)) {
      if (!started_) ThrowBadImage(name_ + ": not a tar archive: the stream is empty");
      return false;
    }
    started_ = true;
    if (IsZeroBlock(block)) {
      char second[kBlock];
      if (!ReadBlock(second, at + kBlock) || IsZeroBlock(second)) return false;
      Damaged(at + kBlock, "a header follows a zero block");
    }
    if (!ChecksumMatches(block)) Damaged(at, "bad header checksum");
    const Format format = FormatOf(block);

    header_ = TarHeader{};
    header_.header_offset = first;
    header_.typeflag = block[156];
    header_.name = std::string(TarFieldString(Field(block, 0, 100)));
    header_.linkname = std::string(TarFieldString(Field(block, 157, 100)));
    const char* bad_field = nullptr;
    auto numeric = [&](size_t offset, size_t length, const char* what) -> int64_t {
      auto value = ParseTarNumeric(Field(block, offset, length));
      if (!value && bad_field == nullptr) bad_field = what;
      return value.value_or(0);
    };
    header_.size = numeric(124, 12, "size");
    header_.mode = numeric(100, 8, "mode");
    header_.uid = numeric(108, 8, "uid");
    header_.gid = numeric(116, 8, "gid");
    header_.mtime_sec = numeric(136, 12, "mtime");
    std::string_view prefix;
    if (format != Format::kV7) {
      header_.dev_major = numeric(329, 8, "devmajor");
      header_.dev_minor = numeric(337, 8, "devminor");
    }
    if (format == Format::kUstar) {
      prefix = TarFieldString(Field(block, 345, 155));
    } else if (format == Format::kStar) {
      prefix = TarFieldString(Field(block, 345, 131));
      numeric(476, 12, "atime");
      numeric(488, 12, "ctime");
    } else if (format == Format::kGnu) {
      // Go reads GNU atime/ctime skeptically: if either is not a number, the field is taken for
      // the ustar prefix that pre-1.8 Go wrongly wrote there (golang.org/issue/12594).
      bool times_ok = (block[345] == 0 || ParseTarNumeric(Field(block, 345, 12))) &&
                      (block[357] == 0 || ParseTarNumeric(Field(block, 357, 12)));
      std::string_view old_prefix = TarFieldString(Field(block, 345, 155));
      if (!times_ok && IsAscii(old_prefix)) prefix = old_prefix;
    }
    if (bad_field != nullptr) Damaged(at, std::string("bad number in the ") + bad_field + " field");
    if (!prefix.empty()) header_.name = std::string(prefix) + "/" + header_.name;

    const int64_t size = IsHeaderOnly(header_.typeflag) ? 0 : header_.size;
    if (size < 0) Damaged(at, "negative size " + std::to_string(size));
    data_end_ = Position() + static_cast<uint64_t>(size);
    padding_ = Padding(static_cast<uint64_t>(size));

    switch (header_.typeflag) {
      case 'x':
      case 'g': {
        std::string body = ReadSpecialData(size, at);
        PaxRecords records;
        std::string why = ParsePaxRecords(body, &records);
        if (!why.empty()) Damaged(at, why);
        if (header_.typeflag == 'g') {
          pending = Pending{};  // Go returns 'g' as a member of its own: it applies to nothing
          have_first = false;
        } else {
          pending.pax = std::move(records);
        }
        continue;
      }
      case 'L':
      case 'K': {
        std::string body = ReadSpecialData(size, at);
        std::string value(TarFieldString(body));
        (header_.typeflag == 'L' ? pending.long_name : pending.long_link) = std::move(value);
        continue;
      }
      default:
        ApplyExtensions(pending, block, format == Format::kGnu, at);
        return true;
    }
  }
}

void TarWalker::ApplyExtensions(const Pending& pending, const char* block, bool gnu_format,
                                uint64_t at) {
  std::map<std::string, std::string> xattrs;
  for (const auto& [key, value] : pending.pax) {
    if (value.empty()) continue;  // keeps the ustar field (Go's mergePAX)
    if (key == "path") {
      header_.name = value;
    } else if (key == "linkpath") {
      header_.linkname = value;
    } else if (key == "uid" || key == "gid" || key == "size") {
      auto number = ParseTarDecimal(value);
      if (!number) Damaged(at, "bad PAX " + key + " record");
      (key == "uid" ? header_.uid : key == "gid" ? header_.gid : header_.size) = *number;
    } else if (key == "mtime" || key == "atime" || key == "ctime") {
      auto time = ParsePaxTime(value);
      if (!time) Damaged(at, "bad PAX " + key + " record");
      if (key == "mtime") {
        header_.mtime_sec = time->sec;
        header_.mtime_nsec = time->nsec;
      }
    } else if (key.size() > kXattrPrefix.size() && key.starts_with(kXattrPrefix)) {
      xattrs[key.substr(kXattrPrefix.size())] = value;
    }
  }
  header_.xattrs.assign(xattrs.begin(), xattrs.end());
  if (!pending.long_name.empty()) header_.name = pending.long_name;
  if (!pending.long_link.empty()) header_.linkname = pending.long_link;
  if (header_.typeflag == '\0') {
    header_.typeflag = !header_.name.empty() && header_.name.back() == '/' ? '5' : '0';
  }
  // The PAX size may differ from the ustar one: the data is measured again.
  const int64_t size = IsHeaderOnly(header_.typeflag) ? 0 : header_.size;
  if (size < 0) Damaged(at, "negative size " + std::to_string(size));
  header_.data_offset = Position();
  data_end_ = header_.data_offset + static_cast<uint64_t>(size);
  padding_ = Padding(static_cast<uint64_t>(size));
  ReadSparseMap(block, gnu_format, pending.pax, at);
  header_.stored_size = data_end_ - header_.data_offset;
}

void TarWalker::ReadSparseMap(const char* block, bool gnu_format, const PaxRecords& pax,
                              uint64_t at) {
  std::vector<SparseFragment> map;
  if (header_.typeflag == 'S') {
    if (!gnu_format) Damaged(at, "a GNU sparse member without a GNU header");
    auto real_size = ParseTarNumeric(Field(block, 483, 12));
    if (!real_size || !AppendOldGnuFragments(Field(block, 386, 96), 4, &map)) {
      Damaged(at, "bad number in the GNU sparse map");
    }
    header_.size = *real_size;
    bool extended = block[482] != 0;
    uint64_t extension_bytes = 0;
    while (extended) {
      char extension[kBlock];
      uint64_t extension_at = Position();
      if (!ReadBlock(extension, extension_at)) {
        Damaged(extension_at, "the stream ends inside a GNU sparse map");
      }
      extension_bytes += kBlock;
      if (extension_bytes > kMaxSparseMapBytes) Damaged(at, "a GNU sparse map over 1 MiB");
      if (!AppendOldGnuFragments(Field(extension, 0, 504), 21, &map)) {
        Damaged(extension_at, "bad number in the GNU sparse map");
      }
      extended = extension[504] != 0;
    }
    // The extension blocks come before the data, which keeps its size.
    uint64_t moved = Position() - header_.data_offset;
    header_.data_offset += moved;
    data_end_ += moved;
  } else {
    std::string_view major = PaxValue(pax, "GNU.sparse.major");
    std::string_view minor = PaxValue(pax, "GNU.sparse.minor");
    bool version_1_0 = false;
    if (major == "0" && (minor == "0" || minor == "1")) {
      version_1_0 = false;
    } else if (major == "1" && minor == "0") {
      version_1_0 = true;
    } else if (!major.empty() || !minor.empty()) {
      return;  // an unknown version: Go reads the member as a plain file
    } else if (PaxValue(pax, "GNU.sparse.map").empty()) {
      return;  // not sparse
    }
    std::string_view sparse_name = PaxValue(pax, "GNU.sparse.name");
    if (!sparse_name.empty()) header_.name = std::string(sparse_name);
    std::string_view real_size = PaxValue(pax, "GNU.sparse.size");
    if (real_size.empty()) real_size = PaxValue(pax, "GNU.sparse.realsize");
    if (!real_size.empty()) {
      auto parsed = ParseTarDecimal(real_size);
      if (!parsed) Damaged(at, "bad GNU sparse real size");
      header_.size = *parsed;
    }
    if (version_1_0) {
      ReadSparseMap1x0(&map, at);
    } else {
      std::string why = ParseSparseMap0x(pax, &map);
      if (!why.empty()) Damaged(at, why);
    }
  }
  if (IsHeaderOnly(header_.typeflag) || !ValidSparseMap(map, header_.size)) {
    Damaged(at, "invalid sparse map of \"" + PrintableName(header_.name) + "\"");
  }
  header_.sparse = true;
  header_.sparse_runs = SparseRunsOf(map);
  uint64_t stored = 0;
  for (const TarSparseRun& run : header_.sparse_runs) stored += run.length;  // <= size
  uint64_t physical = data_end_ - header_.data_offset;
  if (stored != physical) {
    Damaged(at, "the sparse map of \"" + PrintableName(header_.name) + "\" covers " +
                    std::to_string(stored) + " bytes of data but " + std::to_string(physical) +
                    " are stored");
  }
}

void TarWalker::ReadSparseMap1x0(std::vector<SparseFragment>* map, uint64_t at) {
  std::string text;
  uint64_t newlines = 0;
  uint64_t needed = 1;
  bool counted = false;
  while (true) {
    while (newlines < needed) {
      uint64_t block_at = Position();
      if (block_at + kBlock > data_end_) Damaged(at, "the sparse map runs past the member's data");
      if (text.size() + kBlock > kMaxSparseMapBytes) Damaged(at, "a sparse map over 1 MiB");
      char block[kBlock];
      if (!ReadBlock(block, block_at)) Damaged(block_at, "the stream ends inside a sparse map");
      text.append(block, kBlock);
      newlines += static_cast<uint64_t>(std::count(block, block + kBlock, '\n'));
    }
    if (counted) break;
    auto lines = SparseMap1x0Lines(text);
    if (!lines) Damaged(at, "bad entry count in the sparse map");
    needed = *lines;
    counted = true;
  }
  std::string why = ParseSparseMap1x0(text, map);
  if (!why.empty()) Damaged(at, why);
  header_.data_offset = Position();
}

std::string TarWalker::ReadSpecialData(int64_t size, uint64_t at) {
  if (static_cast<uint64_t>(size) > kMaxSpecialFileSize) {
    Damaged(at, "an extension header of " + std::to_string(size) + " bytes (over 1 MiB)");
  }
  std::string body(static_cast<size_t>(size), '\0');
  if (Read(body.data(), body.size()) != body.size()) {
    Damaged(at, "the stream ends inside an extension header");
  }
  return body;
}

bool TarWalker::FinishMember() {
  uint64_t position = Position();
  if (position < data_end_) {
    uint64_t rest = data_end_ - position;
    if (Skip(rest) < rest) {
      throw Error(ErrorKind::kBadImage, EIO,
                  name_ + ": truncated tar: the stream ends inside the data of \"" +
                      PrintableName(header_.name) + "\" (header at offset " +
                      std::to_string(header_.header_offset) + ")");
    }
  }
  uint64_t padding = padding_;
  padding_ = 0;
  return Skip(padding) == padding;
}

bool TarWalker::ReadBlock(char* block, uint64_t at) {
  size_t got = Read(block, kBlock);
  if (got == 0) return false;
  if (got < kBlock) Damaged(at, "the stream ends inside a header block");
  return true;
}

size_t TarWalker::Read(char* dst, size_t n) {
  size_t done = 0;
  while (done < n) {
    if (buffer_pos_ == buffer_end_) {
      buffer_pos_ = 0;
      buffer_end_ = pass_.Read(std::as_writable_bytes(std::span(buffer_)));
      if (buffer_end_ == 0) break;
    }
    size_t take = std::min(n - done, buffer_end_ - buffer_pos_);
    std::memcpy(dst + done, buffer_.data() + buffer_pos_, take);
    buffer_pos_ += take;
    done += take;
  }
  return done;
}

uint64_t TarWalker::Skip(uint64_t n) {
  uint64_t from_buffer = std::min<uint64_t>(n, buffer_end_ - buffer_pos_);
  buffer_pos_ += static_cast<size_t>(from_buffer);
  uint64_t rest = n - from_buffer;
  if (rest == 0) return n;
  uint64_t before = pass_.Position();
  pass_.Skip(rest);
  return from_buffer + (pass_.Position() - before);
}

uint64_t TarWalker::Position() const {
  return pass_.Position() - (buffer_end_ - buffer_pos_);
}

void TarWalker::Damaged(uint64_t at, const std::string& why) const {
  ThrowBadImage(name_ + ": damaged tar header at offset " + std::to_string(at) + ": " + why);
}

}  // namespace imgmount
