#include "layers/registry/chunk_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string_view>

#include "layers/base/decimal.h"
#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/section_file.h"

namespace imgmount {
namespace {

constexpr char kMagic[8] = {'I', 'M', 'C', 'H', 'U', 'N', 'K', '1'};
constexpr size_t kHeaderBytes = 16;
// A temporary file older than this is a leftover of a process that died while writing it.
constexpr int64_t kStaleTempSeconds = 3600;

void PutLe32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetLe32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

uint32_t CrcOf(const std::string& bytes) {
  return Crc32(0, std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// "sha256:<hex>" -> "<dir>/sha256/<hex>"; "" unless the digest is valid.
std::string BlobDir(const std::string& dir, const std::string& digest) {
  if (!IsValidDigest(digest)) return "";
  size_t colon = digest.find(':');
  return dir + "/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

// One file of the chunk cache.
struct ChunkFile {
  std::string path;
  std::string digest;
  uint64_t bytes = 0;
  int64_t used = 0;
  bool temporary = false;
};

// Every chunk (and temporary) file under `chunks`, in no order.
std::vector<ChunkFile> Walk(const std::string& chunks) {
  std::vector<ChunkFile> files;
  for (const std::string& alg : Names(chunks)) {
    for (const std::string& hex : Names(chunks + "/" + alg)) {
      std::string digest = alg + ":" + hex;
      if (!IsValidDigest(digest)) continue;
      std::string blob_dir = chunks + "/" + alg + "/" + hex;
      for (const std::string& name : Names(blob_dir)) {
        bool temporary = name.find(".tmp.") != std::string::npos;
        bool chunk = name == "blob" || name.find_first_not_of("0123456789") == std::string::npos;
        if (!temporary && !chunk) continue;
        struct stat st {};
        std::string path = blob_dir + "/" + name;
        if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        files.push_back({path, digest, static_cast<uint64_t>(st.st_size),
                         static_cast<int64_t>(st.st_mtim.tv_sec), temporary});
      }
    }
  }
  return files;
}

// Creates `dir` and its missing parents (the cache directory may not exist yet); failures show
// when the file is written.
void MakeDirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    ::mkdir(dir.substr(0, slash).c_str(), 0700);
  }
  ::mkdir(dir.c_str(), 0700);
}

// Removes the directory of a blob once it holds no chunk (fails harmlessly otherwise).
void RemoveIfEmpty(const std::string& chunk_path) {
  std::string blob_dir = chunk_path.substr(0, chunk_path.rfind('/'));
  ::rmdir(blob_dir.c_str());
}

uint64_t ParseSize(const std::string& text) {
  std::string_view digits = text;
  uint64_t scale = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
      case 'k':
        scale = 1ULL << 10;
        break;
      case 'M':
      case 'm':
        scale = 1ULL << 20;
        break;
      case 'G':
      case 'g':
        scale = 1ULL << 30;
        break;
    }
    if (scale != 1) digits.remove_suffix(1);
  }
  std::optional<uint64_t> n = ParseDecimal(digits);
  if (!n || *n > UINT64_MAX / scale) {
    throw Error(
        ErrorKind::kUsage, EINVAL,
        "IMGMOUNT_CHUNK_CACHE_SIZE wants a size in bytes (with K, M or G), not \"" + text + "\"");
  }
  return *n * scale;
}

}  // namespace

ChunkStore::ChunkStore(const std::string& cache_dir, uint64_t limit)
    : cache_dir_(cache_dir), dir_(cache_dir + "/chunks"), limit_(limit) {}

std::string ChunkStore::ChunkPath(const std::string& digest, uint64_t index) const {
  std::string blob_dir = BlobDir(dir_, digest);
  return blob_dir.empty() ? "" : blob_dir + "/" + std::to_string(index);
}

std::optional<std::string> ChunkStore::Get(const std::string& digest, uint64_t index) const {
  std::string path = ChunkPath(digest, index);
  if (path.empty()) return std::nullopt;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  std::string file(kHeaderBytes + kChunkBytes + 1, '\0');
  size_t got = 0;
  while (got < file.size()) {
    ssize_t r = ::read(fd, file.data() + got, file.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::futimens(fd, nullptr);  // the last use, for the LRU order
  ::close(fd);
  file.resize(got);
  bool whole = got >= kHeaderBytes && std::memcmp(file.data(), kMagic, 8) == 0 &&
               GetLe32(file.data() + 12) == got - kHeaderBytes;
  std::string bytes = whole ? file.substr(kHeaderBytes) : "";
  if (!whole || CrcOf(bytes) != GetLe32(file.data() + 8)) {
    ::unlink(path.c_str());
    return std::nullopt;
  }
  return bytes;
}

bool ChunkStore::Has(const std::string& digest, uint64_t index) const {
  std::string path = ChunkPath(digest, index);
  return !path.empty() && ::access(path.c_str(), F_OK) == 0;
}

void ChunkStore::Put(const std::string& digest, uint64_t index, const std::string& bytes) const {
  std::string path = ChunkPath(digest, index);
  if (path.empty() || bytes.size() > kChunkBytes || limit_ == 0) return;
  std::string blob_dir = path.substr(0, path.rfind('/'));
  MakeDirs(blob_dir);
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  PutLe32(header + 8, CrcOf(bytes));
  PutLe32(header + 12, static_cast<uint32_t>(bytes.size()));
  std::string why;
  bool ok = WriteFileAtomically(
      path,
      [&](int fd) {
        return WriteAll(fd, std::as_bytes(std::span(header))) &&
               WriteAll(fd, std::as_bytes(std::span(bytes.data(), bytes.size())));
      },
      &why);
  if (!ok) return;
  std::lock_guard lock(mu_);
  written_since_trim_ += bytes.size() + kHeaderBytes;
  // The first chunk written checks the limit (another process may have filled the cache),
  // then every eighth of the limit written.
  if (!trimmed_ || written_since_trim_ > limit_ / 8) {
    trimmed_ = true;
    written_since_trim_ = 0;
    TrimChunkCache(cache_dir_, limit_, 0);
  }
}

std::string ChunkStore::WholeBlobPath(const std::string& digest, bool create) const {
  std::string blob_dir = BlobDir(dir_, digest);
  if (blob_dir.empty()) return "";
  if (!create) return blob_dir + "/blob";
  MakeDirs(blob_dir);
  return blob_dir + "/blob";
}

void ChunkStore::Drop(const std::string& digest, uint64_t index) const {
  std::string path = ChunkPath(digest, index);
  if (!path.empty() && ::unlink(path.c_str()) == 0) RemoveIfEmpty(path);
}

uint64_t ChunkCacheLimit() {
  const char* text = std::getenv("IMGMOUNT_CHUNK_CACHE_SIZE");
  return text == nullptr || *text == '\0' ? kDefaultChunkCacheLimit : ParseSize(text);
}

std::vector<ChunkedBlob> ListChunkCache(const std::string& cache_dir) {
  std::map<std::string, ChunkedBlob> blobs;
  for (const ChunkFile& f : Walk(cache_dir + "/chunks")) {
    if (f.temporary) continue;
    ChunkedBlob& blob = blobs[f.digest];
    blob.digest = f.digest;
    blob.chunks += 1;
    blob.bytes += f.bytes;
    blob.last_used = std::max(blob.last_used, f.used);
  }
  std::vector<ChunkedBlob> out;
  for (auto& [digest, blob] : blobs) out.push_back(blob);
  std::stable_sort(out.begin(), out.end(), [](const ChunkedBlob& a, const ChunkedBlob& b) {
    return a.last_used > b.last_used;
  });
  return out;
}

ChunkTrim TrimChunkCache(const std::string& cache_dir, uint64_t limit, int64_t cutoff) {
  std::vector<ChunkFile> files = Walk(cache_dir + "/chunks");
  std::sort(files.begin(), files.end(),
            [](const ChunkFile& a, const ChunkFile& b) { return a.used > b.used; });
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  ChunkTrim trim;
  uint64_t kept = 0;
  bool full = false;
  for (const ChunkFile& f : files) {
    if (!f.temporary && !full && f.used >= cutoff && kept + f.bytes <= limit) {
      kept += f.bytes;
      continue;
    }
    // Everything older than the first chunk that does not fit goes too (least recently used).
    if (!f.temporary) full = true;
    if (f.temporary && f.used >= now - kStaleTempSeconds) continue;
    if (::unlink(f.path.c_str()) != 0) continue;
    RemoveIfEmpty(f.path);
    if (f.temporary) continue;
    trim.chunks += 1;
    trim.bytes += f.bytes;
  }
  return trim;
}

}  // namespace imgmount
