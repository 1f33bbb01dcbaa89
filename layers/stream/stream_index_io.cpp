#include "layers/stream/stream_index_io.h"

#include <algorithm>
#include <cstring>

namespace imgmount {

namespace {

constexpr uint32_t kStreamSection = SectionId("STRM");
constexpr uint32_t kPointsSection = SectionId("PNTS");
constexpr uint32_t kWindowsSection = SectionId("WNDS");
constexpr uint32_t kSpansSection = SectionId("SPNS");

constexpr uint32_t kWindowDeflated = 1;
constexpr uint32_t kInLocalCopy = 2;

struct StreamRecord {
  uint32_t codec;
  uint32_t zero;
  uint64_t blob_size;
  uint64_t stream_size;
  uint64_t local_copy_size;
};
static_assert(sizeof(StreamRecord) == 32);

struct PointRecord {
  uint64_t compressed_bit;
  uint64_t uncompressed;
  uint64_t window_offset;
  uint32_t window_bytes;
  uint32_t window_size;
  uint32_t flags;
  uint32_t zero;
};
static_assert(sizeof(PointRecord) == 40);

struct SpanRecord {
  uint64_t start;
  uint64_t size;
  uint32_t point;
  uint32_t crc32;
};
static_assert(sizeof(SpanRecord) == 24);

template <class T>
std::string RecordBytes(const std::vector<T>& rows) {
  return std::string(reinterpret_cast<const char*>(rows.data()), rows.size() * sizeof(T));
}

}  // namespace

bool UsesLocalCopy(const StreamIndex& index) {
  return std::any_of(index.points.begin(), index.points.end(),
                     [](const AccessPoint& p) { return p.in_local_copy; });
}

void AddStreamSections(SectionFileWriter& writer, const StreamIndex& index,
                       uint64_t local_copy_size) {
  StreamRecord stream{static_cast<uint32_t>(index.codec), 0, index.blob_size, index.stream_size,
                      local_copy_size};
  std::vector<PointRecord> points;
  std::string windows;
  for (const AccessPoint& p : index.points) {
    uint32_t flags =
        (p.window_deflated ? kWindowDeflated : 0) | (p.in_local_copy ? kInLocalCopy : 0);
    points.push_back({p.compressed_bit, p.uncompressed, windows.size(),
                      static_cast<uint32_t>(p.window.size()), p.window_size, flags, 0});
    windows += p.window;
  }
  std::vector<SpanRecord> spans;
  for (const SpanInfo& s : index.spans) spans.push_back({s.start, s.size, s.point, s.crc32});
  writer.AddOwned(kStreamSection,
                  std::string(reinterpret_cast<const char*>(&stream), sizeof stream));
  writer.AddOwned(kPointsSection, RecordBytes(points));
  writer.AddOwned(kWindowsSection, std::move(windows));
  writer.AddOwned(kSpansSection, RecordBytes(spans));
}

std::optional<StoredStream> ReadStreamSections(const SectionFile& file,
                                               std::optional<uint64_t> blob_size,
                                               std::string* why) {
  auto stream_bytes = file.Section(kStreamSection);
  auto point_bytes = file.Section(kPointsSection);
  auto windows = file.Section(kWindowsSection);
  auto span_bytes = file.Section(kSpansSection);
  if (!stream_bytes || !point_bytes || !windows || !span_bytes) {
    *why = "a stream section is missing";
    return std::nullopt;
  }
  auto points = AsTable<PointRecord>(*point_bytes);
  auto spans = AsTable<SpanRecord>(*span_bytes);
  if (stream_bytes->size() != sizeof(StreamRecord) || !points || !spans) {
    *why = "a stream section has the wrong size";
    return std::nullopt;
  }
  StreamRecord stream;
  std::memcpy(&stream, stream_bytes->data(), sizeof stream);
  if (stream.codec > static_cast<uint32_t>(Codec::kZstd) || stream.zero != 0) {
    *why = "unknown codec";
    return std::nullopt;
  }
  StoredStream out;
  out.local_copy_size = stream.local_copy_size;
  StreamIndex& index = out.index;
  index.codec = static_cast<Codec>(stream.codec);
  index.blob_size = stream.blob_size;
  index.stream_size = stream.stream_size;
  index.points.reserve(points->size());
  for (const PointRecord& r : *points) {
    if ((r.flags & ~(kWindowDeflated | kInLocalCopy)) != 0 || r.zero != 0 ||
        r.window_offset > windows->size() || r.window_bytes > windows->size() - r.window_offset) {
      *why = "access point " + std::to_string(index.points.size()) + " is malformed";
      return std::nullopt;
    }
    AccessPoint& p = index.points.emplace_back();
    p.compressed_bit = r.compressed_bit;
    p.uncompressed = r.uncompressed;
    p.window_size = r.window_size;
    p.window_deflated = (r.flags & kWindowDeflated) != 0;
    p.in_local_copy = (r.flags & kInLocalCopy) != 0;
    p.window.assign(reinterpret_cast<const char*>(windows->data() + r.window_offset),
                    r.window_bytes);
  }
  index.spans.reserve(spans->size());
  for (const SpanRecord& r : *spans) index.spans.push_back({r.start, r.size, r.point, r.crc32});
  if (UsesLocalCopy(index) != (out.local_copy_size != 0)) {
    *why = "the local copy and the access points disagree";
    return std::nullopt;
  }
  std::string problem =
      StreamIndexProblem(index, blob_size.value_or(index.blob_size), out.local_copy_size);
  if (!problem.empty()) {
    *why = "stream index: " + problem;
    return std::nullopt;
  }
  return out;
}

std::string LocalCopyProblem(const ByteSource& copy, const StoredStream& stored) {
  if (copy.Size() != stored.local_copy_size) {
    return "local copy has " + std::to_string(copy.Size()) + " bytes, expected " +
           std::to_string(stored.local_copy_size);
  }
  static constexpr uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  for (const AccessPoint& p : stored.index.points) {
    if (!p.in_local_copy) continue;
    std::byte magic[4] = {};
    if (copy.ReadAt(p.compressed_bit / 8, magic) != 4 || std::memcmp(magic, kZstdMagic, 4) != 0) {
      return "local copy has no zstd frame at " + std::to_string(p.compressed_bit / 8);
    }
  }
  return "";
}

}  // namespace imgmount
