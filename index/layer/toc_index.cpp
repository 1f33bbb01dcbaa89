#include "index/layer/toc_index.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "index/layer/layer_nesting.h"
#include "layers/base/digest.h"
#include "layers/base/hasher.h"
#include "layers/base/member_path.h"
#include "layers/stream/cached_stream.h"
#include "layers/toc/estargz_toc.h"
#include "layers/toc/toc_chunk_decoder.h"
#include "layers/toc/zstd_chunked_toc.h"

namespace imgmount {
namespace {

// Compressed bytes a chunk may take beyond its size (zstd's bound for stored blocks is far less).
constexpr uint64_t kChunkSlack = 1u << 16;

std::optional<MemberType> TypeOf(const std::string& type) {
  if (type == "reg") return MemberType::kRegular;
  if (type == "dir") return MemberType::kDirectory;
  if (type == "symlink") return MemberType::kSymlink;
  if (type == "hardlink") return MemberType::kHardlink;
  if (type == "char") return MemberType::kCharDevice;
  if (type == "block") return MemberType::kBlockDevice;
  if (type == "fifo") return MemberType::kFifo;
  return std::nullopt;
}

// Turns the entries into members and chunks, checking each against the others.
class TocIndexer {
 public:
  TocIndexer(const SourcePtr& blob, const TocLayout& layout, const std::string& name)
      : blob_(blob), layout_(layout), data_end_(layout.data_end), name_(name) {
    index_->codec = layout.codec;
    index_->blob_size = blob->Size();
  }

  void Add(const TocEntry& e, size_t number) {
    where_ = name_ + ": TOC entry " + std::to_string(number) + " (\"" +
             PrintableName(e.name.substr(0, 200)) + "\")";
    if (e.type == "chunk") {
      AddChunk(e);
      return;
    }
    CloseFile();
    auto path = CleanMemberPath(e.name);
    if (!path) Fail("unsafe name");
    auto type = TypeOf(e.type);
    if (!type) Fail("unsupported type \"" + e.type.substr(0, 20) + "\"");
    if (!seen_.insert(*path).second) Fail("a second entry of the same name");
    if (builder_.size() >= MaxEntries()) Fail("more members than IMGMOUNT_MAX_ENTRIES allows");
    NewMember m;
    m.path = std::move(*path);
    m.type = *type;
    m.mode = m.type == MemberType::kSymlink ? 0777 : static_cast<uint32_t>(e.mode & 07777);
    m.uid = MemberOwnerId(static_cast<int64_t>(e.uid));
    m.gid = MemberOwnerId(static_cast<int64_t>(e.gid));
    m.mtime_sec = e.mtime_sec;
    m.mtime_nsec = e.mtime_nsec;
    m.xattrs = e.xattrs;
    if (m.type == MemberType::kSymlink) {
      m.link_target = e.link_name;
    } else if (m.type == MemberType::kHardlink) {
      // As in a tar: the target may lie in a lower layer, and one that is nowhere is the
      // union's to refuse (union_links), as for a tar member.
      auto target = CleanMemberPath(e.link_name);
      if (!target || target->empty()) Fail("hardlink with an unsafe target");
      m.link_target = std::move(*target);
    } else if (m.type == MemberType::kCharDevice || m.type == MemberType::kBlockDevice) {
      if (e.dev_major > UINT32_MAX || e.dev_minor > UINT32_MAX) Fail("device number too large");
      m.dev_major = static_cast<uint32_t>(e.dev_major);
      m.dev_minor = static_cast<uint32_t>(e.dev_minor);
    } else if (m.type == MemberType::kRegular && e.size > 0) {
      StartFile(e);
      m.size = e.size;
      m.data_offset = file_start_;
    }
    builder_.Add(m);
  }

  std::shared_ptr<LayerIndex> Finish(const DecodeOptions& options) {
    CloseFile();
    if (layout_.codec == Codec::kGzip) {
      // A chunk's member runs on into the next headers: it ends at most where the next starts.
      for (size_t i = 0; i < checks_.size(); ++i) {
        checks_[i].compressed_end =
            i + 1 < checks_.size() ? index_->points[i + 1].compressed_bit / 8 : data_end_;
      }
      AddTocMember();
    }
    // Each chunk's compressed bytes are its own: sorted by start, none reaches into the next.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    ranges.reserve(checks_.size());
    for (size_t i = 0; i < checks_.size(); ++i) {
      ranges.emplace_back(index_->points[i].compressed_bit / 8, checks_[i].compressed_end);
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].first < ranges[i - 1].second) {
        ThrowBadImage(name_ + ": TOC chunks overlap at blob offset " +
                      std::to_string(ranges[i].first));
      }
    }
    index_->stream_size = position_;
    auto index = builder_.Finish(name_);
    CheckNothingBelowFiles(*index);
    std::shared_ptr<const StreamIndex> stream_index = index_;
    auto decoder =
        std::make_shared<TocChunkDecoder>(blob_, stream_index, std::move(checks_), name_);
    auto stream = std::make_shared<CachedStream>(decoder, name_ + " (chunks)", options);
    index->AttachStream(std::move(stream), *stream_index, LayerDigests{});
    return index;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const { ThrowBadImage(where_ + ": " + what); }

  // eStargz: the TOC's own tar entry, last in the tar, its data the JSON after its header.
  void AddTocMember() {
    where_ = name_ + ": the TOC's own entry";
    const std::string& h = layout_.toc_header;
    auto field = [&h](size_t at, size_t length) {
      uint64_t v = 0;
      for (size_t i = at; i < at + length && h[i] >= '0' && h[i] <= '7'; ++i) {
        v = (v << 3) | static_cast<uint64_t>(h[i] - '0');
      }
      return v;
    };
    NewMember m;
    m.path = std::string(h.c_str(), std::min<size_t>(std::strlen(h.c_str()), 100));
    if (!seen_.insert(m.path).second) Fail("a second entry of its name");
    m.mode = static_cast<uint32_t>(field(100, 8) & 07777);
    m.uid = MemberOwnerId(static_cast<int64_t>(field(108, 8)));
    m.gid = MemberOwnerId(static_cast<int64_t>(field(116, 8)));
    m.mtime_sec = static_cast<int64_t>(field(136, 12) & 0x7fffffffffffffff);
    m.size = layout_.toc_size;
    m.data_offset = position_;
    builder_.Add(m);
    file_size_ = layout_.toc_size;
    file_start_ = position_;
    file_end_ = layout_.toc_end;
    AddChunkAt(data_end_, 0, layout_.toc_size, layout_.toc_digest, "", 0);
    checks_.back().compressed_end = layout_.toc_end;
    checks_.back().skip = h.size();
  }

  void StartFile(const TocEntry& e) {
    if (layout_.codec == Codec::kGzip) {
      if (e.end_offset != 0) Fail("an endOffset in an eStargz TOC");
    } else if (e.end_offset <= e.offset || e.end_offset > data_end_) {
      Fail("data range " + std::to_string(e.offset) + ".." + std::to_string(e.end_offset) +
           " is not inside the blob before its TOC");
    }
    if (e.size > std::numeric_limits<uint64_t>::max() / 2 - position_) Fail("absurd size");
    if (e.chunk_offset != 0) Fail("first chunk not at offset 0");
    file_open_ = true;
    file_name_ = e.name;
    file_size_ = e.size;
    file_end_ = layout_.codec == Codec::kGzip ? data_end_ : e.end_offset;
    file_start_ = position_;
    filled_ = 0;
    uint64_t first = e.chunk_size != 0 ? e.chunk_size : e.size;
    // A file of one chunk may give only the file's digest, which is then the chunk's.
    std::string digest = !e.chunk_digest.empty() ? e.chunk_digest : first == e.size ? e.digest : "";
    AddChunkAt(e.offset, 0, first, digest, e.chunk_type, e.inner_offset);
  }

  void AddChunk(const TocEntry& e) {
    if (!file_open_ || e.name != file_name_) Fail("a chunk not after its file's entry");
    if (e.chunk_offset != filled_) Fail("chunks out of order or with gaps");
    AddChunkAt(e.offset, e.chunk_offset, e.chunk_size, e.chunk_digest, e.chunk_type,
               e.inner_offset);
  }

  void AddChunkAt(uint64_t offset, uint64_t in_file, uint64_t size, const std::string& digest,
                  const std::string& type, uint64_t inner_offset) {
    if (!type.empty() && type != "data") Fail("chunk type \"" + type.substr(0, 20) + "\"");
    if (inner_offset != 0) Fail("a chunk inside a gzip member (innerOffset)");
    // eStargz chunks end where the next starts: they must come in blob order.
    if (layout_.codec == Codec::kGzip && !checks_.empty() && offset <= PreviousChunkStart()) {
      Fail("chunk at blob offset " + std::to_string(offset) + " not after the previous chunk");
    }
    if (size == 0 || size > kMaxIndexedSpan) Fail("chunk of size " + std::to_string(size));
    if (size > file_size_ - in_file) Fail("chunk past the end of its file");
    if (!IsValidDigest(digest)) Fail("chunk without a valid digest");
    if (offset >= file_end_ || (in_file > 0 && offset <= PreviousChunkStart())) {
      Fail("chunk at blob offset " + std::to_string(offset) + " outside its file's data");
    }
    if (in_file > 0) checks_.back().compressed_end = offset;
    if (index_->points.size() >= UINT32_MAX) Fail("too many chunks");
    AccessPoint point;
    point.compressed_bit = offset * 8;
    point.uncompressed = position_;
    index_->points.push_back(point);
    index_->spans.push_back(
        SpanInfo{position_, size, static_cast<uint32_t>(index_->points.size() - 1), 0});
    checks_.push_back(TocChunkCheck{file_end_, 0, digest});
    position_ += size;
    filled_ = in_file + size;
  }

  uint64_t PreviousChunkStart() const { return index_->points.back().compressed_bit / 8; }

  void CloseFile() {
    if (!file_open_) return;
    file_open_ = false;
    if (filled_ != file_size_) {
      Fail("the chunks of \"" + PrintableName(file_name_.substr(0, 200)) + "\" cover " +
           std::to_string(filled_) + " of its " + std::to_string(file_size_) + " bytes");
    }
    // The last chunk ends where the file's data ends; each must be able to hold its bytes.
    for (size_t i = checks_.size(); layout_.codec == Codec::kZstd && i-- > 0;) {
      const SpanInfo& span = index_->spans[i];
      if (span.start < file_start_) break;
      uint64_t begin = index_->points[i].compressed_bit / 8;
      if (checks_[i].compressed_end - begin > span.size + span.size / 8 + kChunkSlack) {
        Fail("a chunk of " + std::to_string(span.size) + " bytes takes " +
             std::to_string(checks_[i].compressed_end - begin) + " compressed bytes");
      }
    }
  }

  const SourcePtr& blob_;
  const TocLayout& layout_;
  uint64_t data_end_;
  const std::string& name_;
  std::string where_;
  LayerIndexBuilder builder_;
  std::unordered_set<std::string> seen_;
  std::shared_ptr<StreamIndex> index_ = std::make_shared<StreamIndex>();
  std::vector<TocChunkCheck> checks_;
  uint64_t position_ = 0;
  bool file_open_ = false;
  std::string file_name_;
  uint64_t file_size_ = 0;
  uint64_t file_end_ = 0;
  uint64_t file_start_ = 0;
  uint64_t filled_ = 0;
};

}  // namespace

std::shared_ptr<LayerIndex> BuildTocIndex(const SourcePtr& blob,
                                          const std::vector<TocEntry>& entries,
                                          const TocLayout& layout, const std::string& name,
                                          const DecodeOptions& options) {
  TocIndexer indexer(blob, layout, name);
  for (size_t i = 0; i < entries.size(); ++i) indexer.Add(entries[i], i + 1);
  return indexer.Finish(options);
}

std::shared_ptr<LayerIndex> IndexLayerFromToc(const LayerBlob& blob, const std::string& name,
                                              const DecodeOptions& options,
                                              const WarningSink& warn) {
  try {
    // The footers (or the annotation) say which format the blob is: its first bytes are not
    // read (from a registry, that would cost a request of its own).
    if (auto place = FindZstdChunkedToc(*blob.blob, blob.annotations)) {
      std::string json = ReadZstdChunkedToc(*blob.blob, *place);
      auto entries = ParseTocEntries(json, name + ": zstd:chunked TOC");
      TocLayout layout;
      layout.codec = Codec::kZstd;
      layout.data_end = place->offset - 8;
      return BuildTocIndex(blob.blob, entries, layout, name, options);
    }
    if (auto offset = FindEstargzToc(*blob.blob)) {
      EstargzToc toc = ReadEstargzToc(*blob.blob, *offset, blob.annotations);
      auto entries = ParseTocEntries(toc.json, name + ": eStargz TOC");
      TocLayout layout;
      layout.codec = Codec::kGzip;
      layout.data_end = *offset;
      layout.toc_header = toc.tar_header;
      layout.toc_size = toc.json.size();
      layout.toc_end = blob.blob->Size() - kEstargzFooterBytes;
      Hasher hasher;
      hasher.Update(std::as_bytes(std::span(toc.json)));
      layout.toc_digest = hasher.Finish();
      return BuildTocIndex(blob.blob, entries, layout, name, options);
    }
    return nullptr;
  } catch (const Error& e) {
    if (warn) warn(name + ": table of contents not used (" + e.what() + "); indexing with a pass");
    return nullptr;
  }
}

}  // namespace imgmount
