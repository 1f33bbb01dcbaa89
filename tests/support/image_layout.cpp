// Output file lists (as a tar or a directory tree), layer preparation and reference helpers.
#include "tests/support/image_layout.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "tests/support/tar_writer.h"
#include "tests/support/toc_blob.h"

namespace imgmount::fixture {
namespace {

// Fixed modification time of every member of an output tar, so outputs are reproducible.
constexpr int64_t kOutputMtime = 1704067200;  // 2024-01-01T00:00:00Z

}  // namespace

void Layout::AddFile(const std::string& path, std::string content) {
  if (!Has(path)) items_.push_back({path, std::move(content), false});
}

void Layout::AddSymlink(const std::string& path, const std::string& target) {
  if (!Has(path)) items_.push_back({path, target, true});
}

std::string Layout::AddBlob(const std::string& digest, std::string content) {
  std::string path = BlobPath(digest);
  AddFile(path, std::move(content));
  return path;
}

bool Layout::Has(const std::string& path) const {
  return std::any_of(items_.begin(), items_.end(),
                     [&](const Item& item) { return item.path == path; });
}

void Layout::SortByName() {
  std::stable_sort(items_.begin(), items_.end(),
                   [](const Item& a, const Item& b) { return a.path < b.path; });
}

std::string Layout::ToTar() const {
  TarWriter writer;
  std::set<std::string> dirs;
  for (const Item& item : items_) {
    for (size_t slash = item.path.find('/'); slash != std::string::npos;
         slash = item.path.find('/', slash + 1)) {
      const std::string dir = item.path.substr(0, slash + 1);
      if (!dirs.insert(dir).second) continue;
      TarEntry e;
      e.path = dir;
      e.type = TarType::kDirectory;
      e.mode = 0755;
      e.mtime = kOutputMtime;
      writer.Add(e);
    }
    TarEntry e;
    e.path = item.path;
    e.mtime = kOutputMtime;
    if (item.is_symlink) {
      e.type = TarType::kSymlink;
      e.mode = 0777;
      e.link_target = item.content;
    } else {
      e.content = item.content;
    }
    writer.Add(e);
  }
  writer.AppendEndOfArchive();
  return writer.Take();
}

void Layout::WriteTree(const std::string& dir) const {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  for (const Item& item : items_) {
    const fs::path target = fs::path(dir) / item.path;
    fs::create_directories(target.parent_path());
    if (item.is_symlink) {
      fs::create_symlink(item.content, target);
      continue;
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(item.content.data(), static_cast<std::streamsize>(item.content.size()));
    if (!out) throw std::runtime_error("cannot write " + target.string());
  }
}

std::string DigestHex(const std::string& digest) {
  const size_t colon = digest.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("bad digest " + digest);
  return digest.substr(colon + 1);
}

std::string BlobPath(const std::string& digest) {
  return "blobs/" + digest.substr(0, digest.find(':')) + "/" + DigestHex(digest);
}

PreparedImage PrepareImage(const PlatformImage& image, const WriteOptions& options,
                           const MediaTypes& types) {
  PreparedImage p;
  p.source = &image;
  std::vector<std::string> diff_ids;
  std::vector<Descriptor> layer_descriptors;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const std::string& tar = image.layers[i];
    LayerBlob blob;
    if (options.compression == Compression::kEstargz) {
      if (i >= image.layer_entries.size()) {
        throw std::invalid_argument("estargz needs the entries of every layer");
      }
      EstargzBlob estargz = MakeEstargz(image.layer_entries[i], options.zstd_frame_size);
      blob.data = std::move(estargz.blob);
      blob.descriptor = DescribeBlob(LayerMediaType(types, options.compression), blob.data);
      blob.descriptor.annotations.emplace_back("containerd.io/snapshot/stargz/toc.digest",
                                               estargz.toc_digest);
      blob.diff_id = Sha256Digest(estargz.tar);
      diff_ids.push_back(blob.diff_id);
      layer_descriptors.push_back(blob.descriptor);
      p.layers.push_back(std::move(blob));
      continue;
    }
    blob.data = Compress(tar, options.compression, options.zstd_frame_size);
    blob.descriptor = DescribeBlob(LayerMediaType(types, options.compression), blob.data);
    blob.diff_id = Sha256Digest(tar);
    diff_ids.push_back(blob.diff_id);
    layer_descriptors.push_back(blob.descriptor);
    p.layers.push_back(std::move(blob));
  }
  p.config = ConfigJson(image.config, diff_ids);
  p.config_descriptor = DescribeBlob(types.config, p.config);
  p.manifest = ManifestJson(types, p.config_descriptor, layer_descriptors);
  p.manifest_descriptor = DescribeBlob(types.manifest, p.manifest);
  p.manifest_descriptor.os = image.config.os;
  p.manifest_descriptor.architecture = image.config.architecture;
  p.manifest_descriptor.variant = image.config.variant;
  return p;
}

std::string ReferenceTag(const std::string& ref) {
  const size_t colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) return "latest";
  return ref.substr(colon + 1);
}

std::string QualifiedReference(const std::string& ref) {
  std::string full = ref;
  const size_t colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) full += ":latest";
  const size_t slash = full.find('/');
  if (slash == std::string::npos) return "docker.io/library/" + full;
  const std::string first = full.substr(0, slash);
  const bool is_domain = first.find_first_of(".:") != std::string::npos || first == "localhost";
  return is_domain ? full : "docker.io/" + full;
}

std::string WrapOuter(std::string bytes, const WriteOptions& options) {
  if (options.outer == Compression::kNone) return bytes;
  return Compress(bytes, options.outer, options.zstd_frame_size);
}

}  // namespace imgmount::fixture
