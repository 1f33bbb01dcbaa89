// TarWriter: turns TarEntry values into ustar headers plus the PAX / GNU extensions they need.
#include "tests/support/tar_writer.h"

#include <cstdio>
#include <stdexcept>

namespace imgmount::fixture {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kNameLen = 100;
constexpr size_t kPrefixLen = 155;

using Records = std::vector<std::pair<std::string, std::string>>;

// The ustar type flag of an entry type.
char TypeFlag(TarType type) {
  switch (type) {
    case TarType::kRegular:
      return '0';
    case TarType::kHardlink:
      return '1';
    case TarType::kSymlink:
      return '2';
    case TarType::kCharDevice:
      return '3';
    case TarType::kBlockDevice:
      return '4';
    case TarType::kDirectory:
      return '5';
    case TarType::kFifo:
      return '6';
  }
  throw std::invalid_argument("unknown tar entry type");
}

// Directory part of a member name ("" when there is none), ignoring a trailing slash.
std::string DirName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

// Last component of a member name, ignoring a trailing slash.
std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Joins a directory and a name with a slash, or returns the name alone.
std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// Formats seconds plus nanoseconds as a PAX decimal time ("-1.5" is half a second before -1).
std::string PaxTime(int64_t sec, uint32_t nsec) {
  // Built with snprintf: GCC 12 at -O3 warns falsely (-Wrestrict) about "-" + std::string.
  char text[48];
  if (sec < 0 && nsec != 0) {
    std::snprintf(text, sizeof text, "-%lld.%09u", static_cast<long long>(-(sec + 1)),
                  1000000000u - nsec);
  } else {
    std::snprintf(text, sizeof text, "%lld.%09u", static_cast<long long>(sec), nsec);
  }
  return text;
}

// The sparse map block plus the stored data regions of a PAX 1.0 sparse file.
std::string SparsePayload(const TarEntry& e) {
  std::string map = std::to_string(e.sparse->size()) + "\n";
  std::string data;
  for (const SparseChunk& c : *e.sparse) {
    if (c.offset > e.content.size() || c.length > e.content.size() - c.offset) {
      throw std::invalid_argument("sparse chunk outside the content of " + e.path);
    }
    map += std::to_string(c.offset) + "\n" + std::to_string(c.length) + "\n";
    data.append(e.content, c.offset, c.length);
  }
  map.resize((map.size() + kBlock - 1) / kBlock * kBlock, '\0');
  return map + data;
}

// Splits a path into ustar prefix and name, or returns false when no split fits.
bool SplitUstar(const std::string& path, std::string& prefix, std::string& name) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (slash <= kPrefixLen && path.size() - slash - 1 <= kNameLen && slash + 1 < path.size()) {
      prefix = path.substr(0, slash);
      name = path.substr(slash + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

void TarWriter::AppendHeader(const RawHeaderFields& fields) {
  out_ += EncodeRawHeader(fields);
}

void TarWriter::AppendData(std::string_view data) {
  out_.append(data);
  out_.append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

void TarWriter::AppendRaw(std::string_view bytes) {
  out_.append(bytes);
}

void TarWriter::AppendEndOfArchive() {
  out_.append(2 * kBlock, '\0');
}

void TarWriter::PadToRecord(size_t record_size) {
  if (record_size == 0) return;
  out_.append((record_size - out_.size() % record_size) % record_size, '\0');
}

void TarWriter::AddGnuLongLink(char typeflag, const std::string& value) {
  RawHeaderFields h;
  h.name = "././@LongLink";
  h.mode = 0644;
  h.size = value.size() + 1;
  h.typeflag = typeflag;
  h.magic = "ustar ";
  h.version = std::string(" \0", 2);
  h.uname = "root";
  h.gname = "root";
  AppendHeader(h);
  AppendData(value + std::string(1, '\0'));
}

void TarWriter::AddPaxHeader(const TarEntry& entry, const Records& records) {
  const std::string body = EncodePaxRecords(records);
  RawHeaderFields h;
  h.name = Join(DirName(entry.path), "PaxHeaders/" + BaseName(entry.path)).substr(0, kNameLen);
  h.mode = 0644;
  h.size = body.size();
  h.mtime = entry.mtime;
  h.typeflag = 'x';
  AppendHeader(h);
  AppendData(body);
}

void TarWriter::Add(const TarEntry& e) {
  Records pax;
  RawHeaderFields h;
  h.mode = e.mode;
  h.uid = e.uid;
  h.gid = e.gid;
  h.mtime = e.mtime;
  h.typeflag = TypeFlag(e.type);
  h.uname = e.uname;
  h.gname = e.gname;
  if (e.type == TarType::kCharDevice || e.type == TarType::kBlockDevice) {
    h.devmajor = e.dev_major;
    h.devminor = e.dev_minor;
  }
  const bool gnu = e.long_names == LongNameStyle::kGnu;
  if (gnu) {
    h.magic = "ustar ";
    h.version = std::string(" \0", 2);
  }

  std::string payload;
  if (e.type == TarType::kRegular) payload = e.sparse ? SparsePayload(e) : e.content;
  h.size = payload.size();

  if (e.sparse) {
    if (e.type != TarType::kRegular) throw std::invalid_argument("sparse non-file " + e.path);
    pax.emplace_back("GNU.sparse.major", "1");
    pax.emplace_back("GNU.sparse.minor", "0");
    pax.emplace_back("GNU.sparse.name", e.path);
    pax.emplace_back("GNU.sparse.realsize", std::to_string(e.content.size()));
    h.name = Join(DirName(e.path), "GNUSparseFile.0/" + BaseName(e.path)).substr(0, kNameLen);
  } else if (e.path.size() <= kNameLen) {
    h.name = e.path;
  } else if (gnu) {
    AddGnuLongLink('L', e.path);
    h.name = e.path.substr(0, kNameLen);
  } else if (e.long_names == LongNameStyle::kUstarPrefix && SplitUstar(e.path, h.prefix, h.name)) {
    // The ustar prefix/name split carries the whole path.
  } else {
    pax.emplace_back("path", e.path);
    h.name = e.path.substr(0, kNameLen);
  }

  if (e.link_target.size() <= kNameLen) {
    h.linkname = e.link_target;
  } else if (gnu) {
    AddGnuLongLink('K', e.link_target);
    h.linkname = e.link_target.substr(0, kNameLen);
  } else {
    pax.emplace_back("linkpath", e.link_target);
    h.linkname = e.link_target.substr(0, kNameLen);
  }

  if (e.mtime_nsec != 0) pax.emplace_back("mtime", PaxTime(e.mtime, e.mtime_nsec));
  for (const auto& [name, value] : e.xattrs) pax.emplace_back("SCHILY.xattr." + name, value);
  for (const auto& record : e.extra_pax) pax.push_back(record);

  if (!pax.empty()) AddPaxHeader(e, pax);
  AppendHeader(h);
  AppendData(payload);
}

std::string BuildTar(const std::vector<TarEntry>& entries, const TarOptions& options) {
  TarWriter writer;
  for (const TarEntry& e : entries) writer.Add(e);
  if (options.end_of_archive) writer.AppendEndOfArchive();
  writer.PadToRecord(options.record_size);
  return writer.Take();
}

}  // namespace imgmount::fixture
