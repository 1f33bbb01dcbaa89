#include "tests/support/toc_blob.h"

#include <cstdio>
#include <ctime>

#include "tests/support/codec.h"

namespace imgmount::fixture {
namespace {

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Rfc3339(int64_t sec, uint32_t nsec) {
  time_t t = static_cast<time_t>(sec);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (nsec != 0) {
    std::snprintf(buf, sizeof buf, ".%09u", nsec);
    out += buf;
  }
  return out + "Z";
}

const char* TypeName(TarType type) {
  switch (type) {
    case TarType::kRegular:
      return "reg";
    case TarType::kHardlink:
      return "hardlink";
    case TarType::kSymlink:
      return "symlink";
    case TarType::kCharDevice:
      return "char";
    case TarType::kBlockDevice:
      return "block";
    case TarType::kDirectory:
      return "dir";
    case TarType::kFifo:
      return "fifo";
  }
  return "reg";
}

void PutLe64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string SkippableFrame(const std::string& payload) {
  std::string out = "\x50\x2a\x4d\x18";
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + payload;
}

// The TOC's JSON, one entry object at a time.
class TocJson {
 public:
  void Add(const std::string& object) {
    if (!first_) json_ += ",";
    first_ = false;
    json_ += object;
  }
  std::string Finish() { return json_ + "]}"; }

 private:
  std::string json_ = "{\"version\":1,\"entries\":[";
  bool first_ = true;
};

// The TOC fields of `entry` up to its size, as an unterminated JSON object.
std::string EntryJson(const TarEntry& entry) {
  std::string object =
      "{\"type\":" + JsonString(TypeName(entry.type)) + ",\"name\":" + JsonString(entry.path) +
      ",\"mode\":" + std::to_string(entry.mode) + ",\"uid\":" + std::to_string(entry.uid) +
      ",\"gid\":" + std::to_string(entry.gid) +
      ",\"modtime\":" + JsonString(Rfc3339(entry.mtime, entry.mtime_nsec));
  if (!entry.link_target.empty()) object += ",\"linkName\":" + JsonString(entry.link_target);
  if (entry.type == TarType::kCharDevice || entry.type == TarType::kBlockDevice) {
    object += ",\"devMajor\":" + std::to_string(entry.dev_major) +
              ",\"devMinor\":" + std::to_string(entry.dev_minor);
  }
  if (!entry.xattrs.empty()) {
    object += ",\"xattrs\":{";
    for (size_t i = 0; i < entry.xattrs.size(); ++i) {
      if (i > 0) object += ",";
      object +=
          JsonString(entry.xattrs[i].first) + ":" + JsonString(Base64(entry.xattrs[i].second));
    }
    object += "}";
  }
  if (entry.type == TarType::kRegular) {
    object += ",\"size\":" + std::to_string(entry.content.size());
  }
  return object;
}

}  // namespace

std::string Base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                 static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += "=";
  }
  return out;
}

ChunkedBlob MakeZstdChunked(const std::vector<TarEntry>& entries, size_t chunk_size,
                            const std::function<void(std::string&)>& edit) {
  ChunkedBlob out;
  TocJson toc_json;
  auto add_json = [&toc_json](const std::string& object) { toc_json.Add(object); };
  for (const TarEntry& entry : entries) {
    TarWriter writer;
    writer.Add(entry);
    std::string member = writer.Take();
    bool has_data = entry.type == TarType::kRegular && !entry.content.empty();
    size_t padded = has_data ? (entry.content.size() + 511) / 512 * 512 : 0;
    std::string header = member.substr(0, member.size() - padded);
    out.tar += member;
    out.blob += ZstdCompress(header);
    std::string object = EntryJson(entry);
    if (!has_data) {
      add_json(object + "}");
      continue;
    }
    std::vector<std::string> chunks;
    std::vector<uint64_t> offsets;
    for (size_t at = 0; at < entry.content.size(); at += chunk_size) {
      offsets.push_back(out.blob.size());
      chunks.push_back(entry.content.substr(at, chunk_size));
      out.blob += ZstdCompress(chunks.back());
    }
    uint64_t end = out.blob.size();
    object += ",\"digest\":" + JsonString(Sha256Digest(entry.content)) +
              ",\"offset\":" + std::to_string(offsets[0]) +
              ",\"endOffset\":" + std::to_string(end) +
              ",\"chunkSize\":" + std::to_string(chunks[0].size()) +
              ",\"chunkDigest\":" + JsonString(Sha256Digest(chunks[0])) + "}";
    add_json(object);
    for (size_t i = 1; i < chunks.size(); ++i) {
      add_json("{\"type\":\"chunk\",\"name\":" + JsonString(entry.path) + ",\"offset\":" +
               std::to_string(offsets[i]) + ",\"chunkSize\":" + std::to_string(chunks[i].size()) +
               ",\"chunkOffset\":" + std::to_string(i * chunk_size) +
               ",\"chunkDigest\":" + JsonString(Sha256Digest(chunks[i])) + "}");
    }
    out.blob += ZstdCompress(member.substr(header.size() + entry.content.size()));
  }
  std::string json = toc_json.Finish();
  std::string end_of_archive(1024, '\0');
  out.tar += end_of_archive;
  out.blob += ZstdCompress(end_of_archive);
  if (edit) edit(json);
  out.toc_json = json;
  std::string toc = ZstdCompress(json);
  out.toc_offset = out.blob.size() + 8;
  out.toc_length = toc.size();
  out.toc_digest = Sha256Digest(toc);
  out.blob += SkippableFrame(toc);
  std::string footer;
  PutLe64(footer, out.toc_offset);
  PutLe64(footer, out.toc_length);
  PutLe64(footer, json.size());
  PutLe64(footer, 1);
  footer += "GnUlInUx";
  out.blob += SkippableFrame(footer);
  out.position = std::to_string(out.toc_offset) + ":" + std::to_string(out.toc_length) + ":" +
                 std::to_string(json.size()) + ":1";
  return out;
}

EstargzBlob MakeEstargz(const std::vector<TarEntry>& entries, size_t chunk_size,
                        const std::function<void(std::string&)>& edit) {
  EstargzBlob out;
  std::string member;  // the input of the gzip member being written
  bool open = false;
  auto close_member = [&] {
    if (open) out.blob += GzipCompress(member);
    member.clear();
    open = false;
  };
  TocJson toc_json;
  auto add_json = [&toc_json](const std::string& object) { toc_json.Add(object); };
  for (TarEntry entry : entries) {
    entry.sparse.reset();  // written whole: the TOC has no sparse files
    TarWriter writer;
    writer.Add(entry);
    std::string bytes = writer.Take();
    bool has_data = entry.type == TarType::kRegular && !entry.content.empty();
    size_t padded = has_data ? (entry.content.size() + 511) / 512 * 512 : 0;
    out.tar += bytes;
    open = true;
    member += bytes.substr(0, bytes.size() - padded);
    std::string object = EntryJson(entry);
    if (!has_data) {
      add_json(object + "}");
      continue;
    }
    bool chunked = entry.content.size() > chunk_size;
    for (size_t at = 0; at < entry.content.size(); at += chunk_size) {
      close_member();
      uint64_t offset = out.blob.size();
      std::string chunk = entry.content.substr(at, chunk_size);
      open = true;
      member += chunk;
      std::string chunk_fields = ",\"offset\":" + std::to_string(offset) +
                                 (chunked ? ",\"chunkSize\":" + std::to_string(chunk.size()) : "") +
                                 ",\"chunkDigest\":" + JsonString(Sha256Digest(chunk)) + "}";
      if (at == 0) {
        add_json(object + ",\"digest\":" + JsonString(Sha256Digest(entry.content)) + chunk_fields);
      } else {
        add_json("{\"type\":\"chunk\",\"name\":" + JsonString(entry.path) +
                 ",\"chunkOffset\":" + std::to_string(at) + chunk_fields);
      }
    }
    member += bytes.substr(bytes.size() - padded + entry.content.size());
  }
  std::string json = toc_json.Finish();
  close_member();
  if (edit) edit(json);
  out.toc_json = json;
  out.toc_digest = Sha256Digest(json);
  out.toc_offset = out.blob.size();
  TarWriter toc;
  TarEntry toc_entry;
  toc_entry.path = "stargz.index.json";
  toc_entry.content = json;
  toc.Add(toc_entry);
  toc.AppendEndOfArchive();
  out.tar += toc.bytes();
  out.blob += GzipCompress(toc.bytes());
  // The footer: an empty gzip member whose extra field says where the TOC is.
  char offset_hex[17];
  std::snprintf(offset_hex, sizeof offset_hex, "%016llx",
                static_cast<unsigned long long>(out.toc_offset));
  std::string footer("\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff", 10);
  footer += std::string("\x1a\x00SG\x16\x00", 6) + offset_hex + "STARGZ";
  footer += std::string("\x01\x00\x00\xff\xff", 5) + std::string(8, '\0');
  out.blob += footer;
  return out;
}

}  // namespace imgmount::fixture
