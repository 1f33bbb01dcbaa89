// Walks the members of a tar stream as Go's archive/tar reads them, reporting each member's
// header (layers/tar/tar_header.h) with the exact offset of its data in the stream. Data is
// skipped, never interpreted, by the walker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "layers/tar/tar_header.h"
#include "layers/tar/tar_pax.h"
#include "layers/tar/tar_sparse.h"

namespace imgmount {

class DecodePass;

/// Iterates the members of the tar read through a DecodePass.
class TarWalker {
 public:
  /// Walks the tar coming out of `pass`; `name` names the stream in errors.
  TarWalker(DecodePass& pass, std::string name);
  TarWalker(const TarWalker&) = delete;
  TarWalker& operator=(const TarWalker&) = delete;

  /// The next member, or nullptr at the end of the archive (two zero blocks, or the stream ending
  /// after a complete member or inside its padding). PAX global headers ('g') are skipped, as the
  /// runtimes skip the header Go returns for them. Throws kBadImage, naming the stream and the
  /// offset, where Go fails: a bad checksum or number, a negative size, a bad PAX record or
  /// sparse map, an extension header over 1 MiB, a stream that ends inside a header or a
  /// member's data; and for an empty stream. The header is valid until the next call.
  const TarHeader* Next();

  /// Number of members returned so far.
  uint64_t count() const { return count_; }

 private:
  // What the extension headers before a member said.
  struct Pending {
    PaxRecords pax;
    std::string long_name;
    std::string long_link;
  };

  // Reads the header block(s) of one member, applying `pending`; false at the end of the archive.
  bool ReadMember(Pending& pending);
  // Reads one 512-byte block; false if the stream ends before its first byte.
  bool ReadBlock(char* block, uint64_t at);
  // Reads the data of a special member ('x', 'g', 'L', 'K'), at most 1 MiB, and its padding.
  std::string ReadSpecialData(int64_t size, uint64_t at);
  // Skips the rest of the current member's data (throws if the stream ends inside it) and its
  // padding (the archive ends cleanly if the stream ends inside that).
  bool FinishMember();
  // Applies the PAX records, long names and sparse maps to header_.
  void ApplyExtensions(const Pending& pending, const char* block, bool gnu_format, uint64_t at);
  // Reads a sparse map, if the member has one, into header_; `block` is its header block.
  void ReadSparseMap(const char* block, bool gnu_format, const PaxRecords& pax, uint64_t at);
  // Reads the PAX 1.0 map at the start of the data (whole blocks) and moves the data offset.
  void ReadSparseMap1x0(std::vector<SparseFragment>* map, uint64_t at);

  // Buffered access to the pass.
  size_t Read(char* dst, size_t n);
  uint64_t Skip(uint64_t n);
  uint64_t Position() const;

  [[noreturn]] void Damaged(uint64_t at, const std::string& why) const;

  DecodePass& pass_;
  std::string name_;
  std::vector<char> buffer_;
  size_t buffer_pos_ = 0;
  size_t buffer_end_ = 0;
  TarHeader header_;
  uint64_t data_end_ = 0;
  uint64_t padding_ = 0;
  uint64_t count_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace imgmount
