// The entries of a layer's table of contents (the JSON the zstd:chunked and eStargz formats
// share: {"version": 1, "entries": [...]}), parsed with every field's type checked and nothing
// trusted beyond that: what the entries mean together is checked where they become an index.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgmount {

/// One TOC entry: a file ("reg", "dir", "symlink", "hardlink", "char", "block", "fifo") or a
/// further "chunk" of the regular file named just before.
struct TocEntry {
  std::string type;
  std::string name;
  /// A symlink's target, or the name a hardlink links to.
  std::string link_name;
  /// Permission bits as stored (the caller keeps 07777).
  uint64_t mode = 0;
  uint64_t uid = 0;
  uint64_t gid = 0;
  /// A regular file's size.
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t dev_major = 0;
  uint64_t dev_minor = 0;
  /// Extended attributes (name, value) with the values base64-decoded.
  std::vector<std::pair<std::string, std::string>> xattrs;
  /// The whole file's digest.
  std::string digest;
  /// Compressed offset of the chunk's data in the blob; endOffset: end of the file's data.
  uint64_t offset = 0;
  uint64_t end_offset = 0;
  /// The chunk's uncompressed size (0: absent) and offset in its file.
  uint64_t chunk_size = 0;
  uint64_t chunk_offset = 0;
  /// The chunk's digest ("" if absent) and type ("" or "data"; others are not supported).
  std::string chunk_digest;
  std::string chunk_type;
  /// eStargz: offset of the chunk inside its gzip member's output (0: the member's start).
  uint64_t inner_offset = 0;
};

/// Parses TOC JSON `json`; `name` names it in errors. Throws kBadImage on bad JSON, a version
/// other than 1, and any field of the wrong type or out of range.
std::vector<TocEntry> ParseTocEntries(std::string_view json, const std::string& name);

/// Seconds and nanoseconds since the epoch of an RFC 3339 time ("2024-01-02T03:04:05.5Z",
/// "...+02:00"); false if `text` is not one.
bool ParseRfc3339(std::string_view text, int64_t* sec, uint32_t* nsec);

}  // namespace imgmount
