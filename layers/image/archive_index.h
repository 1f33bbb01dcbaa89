// The table of contents of an outer tar archive (a docker save, docker-archive or OCI archive),
// and its persisted form, so that a whole-file-compressed archive (node.tar.gz) is decoded once.
// The file is a section file (section_file.h) of kind "IMGMARCH", version 2 (version 1 was made
// from libarchive's reading of the tar; names with ".." and sparse members now read otherwise):
//
//   section  record size  content
//   IDNT     fields       two EncodeFields strings: the identity of the archive file the index
//                         was made from, and the file name of the persisted local copy ("": none)
//   ENTR     40 each      members sorted by path: u64 data offset in the decoded stream,
//                         u64 data size, u32 path offset in NAME, u32 path length, u32 link
//                         offset in NAME, u32 link length, u32 kind (0 file, 1 directory,
//                         2 symlink, 3 hardlink, 4 other), u32 zero
//   NAME     bytes        the paths and link targets
//   STRM, PNTS, WNDS, SPNS   the decoded stream's access points and spans (stream_index_io.h)
//
// Reading checks every path (normalised, distinct), every range (inside NAME, file data inside
// the stream) and the stream index against the archive file's size.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "layers/source/byte_source.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/stream_index_io.h"

namespace imgmount {

/// One member of an outer archive.
struct ArchiveMember {
  /// What the member is.
  enum Kind : uint8_t { kFile, kDirectory, kSymlink, kHardlink, kOther } kind = kOther;
  /// Offset of the data in the decoded stream.
  uint64_t offset = 0;
  /// Bytes of data.
  uint64_t size = 0;
  /// Symlink target as stored, or a hardlink's normalised target path.
  std::string link;
};

/// An outer archive's members by normalised path, and how its stream decodes.
struct ArchiveIndex {
  /// Members by normalised path (the last of duplicates).
  std::map<std::string, ArchiveMember> members;
  /// Access points and spans of the decoded stream.
  StreamIndex stream;
};

/// A persisted archive index as read back.
struct ArchiveIndexFile {
  /// The index.
  ArchiveIndex index;
  /// Identity of the archive file it was made from.
  std::string identity;
  /// File name of the persisted local copy, "" if none.
  std::string local_copy_name;
  /// The stream as stored (for checking the local copy).
  StoredStream stored;
};

/// An archive index ready for use: the index and, if its points need one, the local copy.
struct LoadedArchive {
  /// The index.
  ArchiveIndex index;
  /// The persisted local copy, or null.
  SourcePtr local_copy;
};

/// Callbacks through which OpenTarFiles reuses the index of a compressed outer archive; the index
/// cache provides them, so that layers/ knows nothing of where indexes are kept.
struct ArchiveIndexHooks {
  /// A stored index of this archive, or nullopt.
  std::function<std::optional<LoadedArchive>()> load;
  /// Told why a loaded index could not be used (it is then rebuilt).
  std::function<void(const std::string& why)> rejected;
  /// Offered a freshly built index and the pass's local copy (may be null).
  std::function<void(const ArchiveIndex& index, const std::shared_ptr<const ScratchFile>& copy)>
      store;
};

/// Writes `index` to `path` atomically; false and `why` on failure.
bool WriteArchiveIndexFile(const std::string& path, const ArchiveIndex& index,
                           const std::string& identity, const std::string& local_copy_name,
                           uint64_t local_copy_size, std::string* why);

/// Reads and checks the archive index at `path` against an archive file of `file_size` bytes
/// (nullopt: of the size the index records); nullopt and `why` ("" if the file does not exist)
/// on any doubt.
std::optional<ArchiveIndexFile> ReadArchiveIndexFile(const std::string& path,
                                                     std::optional<uint64_t> file_size,
                                                     std::string* why);

}  // namespace imgmount
