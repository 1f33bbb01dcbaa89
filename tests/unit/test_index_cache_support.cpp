#include "tests/unit/test_index_cache_support.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "tests/unit/test_byte_sources_fixtures.h"
#include "tests/unit/test_union_support.h"

namespace imgmount::testing {

TestMount::TestMount(const char* source, const std::string& target, const char* type,
                     unsigned long flags, const char* data)
    : target_(target) {
  mounted_ = ::mount(source, target.c_str(), type, flags, data) == 0;
}

TestMount::~TestMount() {
  if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
}

TempDir::TempDir() {
  std::string pattern = "/tmp/imgmount-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

LayerBlob MakeBlob(const std::string& tar, Compression method, size_t frame_size) {
  std::string bytes = Compress(tar, method, frame_size);
  LayerBlob blob;
  blob.digest = Sha256Digest(bytes);
  blob.diff_id = Sha256Digest(tar);
  blob.path = "blobs/sha256/" + blob.digest.substr(7);
  blob.blob = Mem(bytes, "layer " + blob.digest.substr(0, 19));
  return blob;
}

std::string Dump(const LayerIndex& index) {
  std::ostringstream out;
  for (uint32_t i = 0; i < index.size(); ++i) {
    TarMember m = index.member(i);
    out << i << " '" << m.path << "' t" << int(m.type) << " m" << m.mode << " " << m.uid << ":"
        << m.gid << " @" << m.mtime_sec << "." << m.mtime_nsec << " s" << m.size << " d"
        << m.data_offset << " ->'" << m.link_target << "' dev" << m.dev_major << "," << m.dev_minor;
    for (const auto& [name, value] : m.xattrs) out << " x[" << name << "=" << value << "]";
    for (const SparseExtent& e : m.sparse) out << " sp[" << e.offset << "+" << e.length << "]";
    out << "\n";
  }
  const StreamIndex& s = index.stream_index();
  out << "codec " << CodecName(s.codec) << " blob " << s.blob_size << " stream " << s.stream_size
      << "\n";
  for (const AccessPoint& p : s.points) {
    out << "point " << p.compressed_bit << " " << p.uncompressed << " " << p.window_size << " "
        << p.window_deflated << " " << p.in_local_copy << " " << Sha256Of(p.window) << "\n";
  }
  for (const SpanInfo& span : s.spans) {
    out << "span " << span.start << " " << span.size << " " << span.point << " " << span.crc32
        << "\n";
  }
  out << "digests " << index.digests().blob << " " << index.digests().stream << "\n";
  return out.str();
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string LargestBlob(const std::string& layout) {
  std::string largest;
  uintmax_t size = 0;
  for (const auto& entry : std::filesystem::directory_iterator(layout + "/blobs/sha256")) {
    if (entry.file_size() > size) {
      size = entry.file_size();
      largest = entry.path();
    }
  }
  return largest;
}

Opened OpenWithCache(const std::string& image, const std::string& cache_dir,
                     const DecodeOptions& decode) {
  Opened opened;
  std::mutex mu;
  ViewOptions options;
  options.cache_dir = cache_dir;
  options.decode = decode;
  options.info = [&](const std::string& note) {
    std::lock_guard lock(mu);
    opened.notes.push_back(note);
    if (note.find("loaded from cache") != std::string::npos) ++opened.from_cache;
    if (note.find("indexed in") != std::string::npos) ++opened.indexed;
  };
  options.warn = [&](const std::string& warning) {
    std::lock_guard lock(mu);
    opened.warnings.push_back(warning);
  };
  ImageView view = OpenImageView(image, options);
  opened.tree = Render(*view.tree);
  return opened;
}

std::vector<std::string> FilesEnding(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() >= suffix.size() && name.ends_with(suffix)) names.push_back(name);
  }
  ::closedir(d);
  return names;
}

size_t CountContaining(const std::vector<std::string>& lines, const std::string& part) {
  size_t n = 0;
  for (const std::string& line : lines) n += line.find(part) != std::string::npos ? 1 : 0;
  return n;
}

}  // namespace imgmount::testing
