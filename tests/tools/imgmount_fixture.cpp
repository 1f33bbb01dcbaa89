// imgmount-fixture: writes a built-in scenario image in any supported format and compression,
// or wraps existing layer blobs (`wrap`) as a complete image.
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/support/image_json.h"
#include "tests/support/image_layout.h"
#include "tests/support/image_writer.h"
#include "tests/support/scenarios.h"
#include "tests/support/tar_writer.h"

namespace imgmount::fixture {
namespace {

// The parsed command line.
struct Args {
  std::string scenario;                   // SCENARIO
  WriteOptions options;                   // FORMAT, COMPRESSION and flags
  std::string out;                        // OUT
  std::vector<std::string> tags;          // --tag values
  std::vector<std::string> extra_images;  // --image SCENARIO=NAME:TAG values
  bool multi_platform = false;            // --multi-platform
  std::vector<std::string> platforms;     // --platform OS/ARCH[/VARIANT] values
  bool no_end_blocks = false;             // --no-end-blocks
};

// Prints the usage text to `out`.
void Usage(std::FILE* out) {
  std::string scenarios, formats;
  for (const std::string& s : ScenarioNames()) scenarios += " " + s;
  for (const std::string& f : ImageFormatNames()) formats += " " + f;
  std::fprintf(
      out,
      "usage: imgmount-fixture SCENARIO FORMAT COMPRESSION OUT [options]\n"
      "       imgmount-fixture wrap FORMAT OUT LAYERBLOB... [options]  (see wrap --help)\n"
      "Writes a built-in test image, or wraps existing layer blobs as an image.\n"
      "  SCENARIO     one of:%s\n"
      "  FORMAT       one of:%s\n"
      "  COMPRESSION  layer compression: none gzip gzip-multi zstd zstd-multi zstd-seekable\n"
      "               estargz (the -multi and -seekable forms cut every --frame-size input\n"
      "               bytes; estargz: files in chunks of --frame-size bytes, each chunk a\n"
      "               new gzip member, stargz.index.json and its footer, TOC digest annotated)\n"
      "  OUT          output file (a directory for oci-dir; must not exist or be empty)\n"
      "options:\n"
      "  --outer COMPRESSION        compress the whole output tar (node.tar.gz)\n"
      "  --tag NAME:TAG             reference of the image; repeatable\n"
      "                             (default imgmount/SCENARIO:latest; OCI ref.name = TAG)\n"
      "  --image SCENARIO=NAME:TAG  add another image to the same output; repeatable\n"
      "  --multi-platform           add a linux/arm64/v8 image (SCENARIO plus a layer with\n"
      "                             /etc/imgmount-platform) to an index (oci-dir, oci-archive,\n"
      "                             containerd; the containerd export omits its blobs)\n"
      "  --platform OS/ARCH[/VARIANT]  like --multi-platform, with this platform exactly as\n"
      "                             written in the index and config; repeatable\n"
      "  --shuffle-oci-layers       docker-oci: OCI manifest lists the layers out of order\n"
      "  --null-oci-manifests       docker-oci: index.json says \"manifests\": null\n"
      "  --legacy-dirs              docker-archive: add <id>/layer.tar symlinks, repositories\n"
      "  --docker-media-types       OCI-based formats: Docker v2 schema 2 media types\n"
      "  --frame-size N             input bytes per gzip member / zstd frame (default 65536)\n"
      "  --no-end-blocks            layer tars end without the two zero blocks\n"
      "  -h, --help                 show this text\n"
      "exit status: 0 ok, 2 error\n",
      scenarios.c_str(), formats.c_str());
}

// Parses the command line; throws std::invalid_argument on bad usage.
Args ParseArgs(int argc, char** argv) {
  Args args;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      Usage(stdout);
      std::exit(0);
    } else if (arg == "--outer") {
      args.options.outer = ParseCompression(value());
    } else if (arg == "--tag") {
      args.tags.push_back(value());
    } else if (arg == "--image") {
      args.extra_images.push_back(value());
    } else if (arg == "--multi-platform") {
      args.multi_platform = true;
    } else if (arg == "--platform") {
      args.platforms.push_back(value());
    } else if (arg == "--shuffle-oci-layers") {
      args.options.shuffle_oci_layers = true;
    } else if (arg == "--null-oci-manifests") {
      args.options.null_oci_manifests = true;
    } else if (arg == "--legacy-dirs") {
      args.options.docker_archive_legacy = true;
    } else if (arg == "--docker-media-types") {
      args.options.docker_media_types = true;
    } else if (arg == "--frame-size") {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n == 0) throw std::invalid_argument("bad --frame-size");
      args.options.zstd_frame_size = static_cast<size_t>(n);
    } else if (arg == "--no-end-blocks") {
      args.no_end_blocks = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw std::invalid_argument("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 4) {
    throw std::invalid_argument("expected SCENARIO FORMAT COMPRESSION OUT, got " +
                                std::to_string(positional.size()) + " arguments");
  }
  args.scenario = positional[0];
  args.options.format = ParseImageFormat(positional[1]);
  args.options.compression = ParseCompression(positional[2]);
  args.out = positional[3];
  if (args.tags.empty()) args.tags.push_back("imgmount/" + args.scenario + ":latest");
  return args;
}

// Builds the image of one scenario with the requested tags and platforms.
ImageSpec MakeImage(const Args& args, const std::string& scenario_name,
                    const std::vector<std::string>& tags) {
  const Scenario scenario = GetScenario(scenario_name);
  TarOptions tar_options;
  tar_options.end_of_archive = !args.no_end_blocks;
  ImageSpec spec;
  spec.tags = tags;
  spec.platforms.push_back(BuildPlatformImage(scenario, tar_options));
  if (args.multi_platform) AddPlatform(spec, scenario, "linux", "arm64", "v8");
  for (const std::string& platform : args.platforms) {
    const size_t first = platform.find('/');
    if (first == std::string::npos) throw std::invalid_argument("bad --platform " + platform);
    const size_t second = platform.find('/', first + 1);
    const std::string variant = second == std::string::npos ? "" : platform.substr(second + 1);
    AddPlatform(
        spec, scenario, platform.substr(0, first),
        platform.substr(first + 1, second == std::string::npos ? second : second - first - 1),
        variant);
  }
  return spec;
}

// ---- wrap: existing layer blobs as a complete image -------------------------------------------

// Bytes read from a layer blob at a time, and bytes of decoded output per decoder call.
constexpr size_t kWrapChunk = 1 << 20;

// Fixed modification time of every member of a wrapped tar image, as the image writer uses.
constexpr int64_t kWrapMtime = 1704067200;  // 2024-01-01T00:00:00Z

// The parsed command line of `wrap`.
struct WrapArgs {
  ImageFormat format = ImageFormat::kOciDir;  // FORMAT
  std::string out;                            // OUT
  std::vector<std::string> blobs;             // LAYERBLOB..., bottom first
  std::vector<std::string> tags;              // --tag values
  bool docker_media_types = false;            // --docker-media-types
};

// Incremental SHA-256 over OpenSSL's EVP interface.
class Sha256Stream {
 public:
  Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 initialisation failed");
    }
  }

  // Hashes `size` more bytes.
  void Update(const void* data, size_t size) {
    if (size != 0 && EVP_DigestUpdate(ctx_.get(), data, size) != 1) {
      throw std::runtime_error("SHA-256 update failed");
    }
  }

  // "sha256:<hex>" of everything hashed; call once.
  std::string Digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
      throw std::runtime_error("SHA-256 finalisation failed");
    }
    static const char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < len; ++i) {
      out += kHex[md[i] >> 4];
      out += kHex[md[i] & 15];
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// Decodes gzip (one or several members) chunk by chunk, hashing the output.
class GunzipHasher {
 public:
  explicit GunzipHasher(Sha256Stream& out) : out_(out), buffer_(kWrapChunk) {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  }
  ~GunzipHasher() { inflateEnd(&zs_); }
  GunzipHasher(const GunzipHasher&) = delete;
  GunzipHasher& operator=(const GunzipHasher&) = delete;

  // Decodes the next `size` bytes of the blob.
  void Feed(const unsigned char* data, size_t size) {
    zs_.next_in = const_cast<Bytef*>(data);
    zs_.avail_in = static_cast<uInt>(size);
    while (true) {
      if (member_ended_) {
        if (zs_.avail_in == 0) return;
        if (zs_.next_in[0] != 0x1f) throw std::runtime_error("trailing bytes after a gzip member");
        if (inflateReset(&zs_) != Z_OK) throw std::runtime_error("inflateReset failed");
        member_ended_ = false;
      }
      zs_.next_out = buffer_.data();
      zs_.avail_out = static_cast<uInt>(buffer_.size());
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      out_.Update(buffer_.data(), buffer_.size() - zs_.avail_out);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc == Z_BUF_ERROR || (rc == Z_OK && zs_.avail_in == 0 && zs_.avail_out != 0)) {
        return;  // everything consumed: wants more input
      } else if (rc != Z_OK) {
        throw std::runtime_error(std::string("corrupt gzip stream: ") +
                                 (zs_.msg != nullptr ? zs_.msg : "inflate error"));
      }
    }
  }

  // Checks that the blob ended at the end of a member.
  void Finish() const {
    if (!member_ended_) throw std::runtime_error("truncated gzip stream");
  }

 private:
  Sha256Stream& out_;
  std::vector<unsigned char> buffer_;
  z_stream zs_{};
  bool member_ended_ = false;
};

// Decodes zstd (one or several frames, skippable frames included) chunk by chunk, hashing the
// output.
class UnzstdHasher {
 public:
  explicit UnzstdHasher(Sha256Stream& out) : out_(out), buffer_(kWrapChunk) {
    if (dctx_ == nullptr) throw std::runtime_error("ZSTD_createDCtx failed");
  }
  ~UnzstdHasher() { ZSTD_freeDCtx(dctx_); }
  UnzstdHasher(const UnzstdHasher&) = delete;
  UnzstdHasher& operator=(const UnzstdHasher&) = delete;

  // Decodes the next `size` bytes of the blob.
  void Feed(const unsigned char* data, size_t size) {
    ZSTD_inBuffer in{data, size, 0};
    ZSTD_outBuffer out{};
    do {
      out = {buffer_.data(), buffer_.size(), 0};
      const size_t rc = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(rc)) {
        throw std::runtime_error(std::string("corrupt zstd stream: ") + ZSTD_getErrorName(rc));
      }
      out_.Update(buffer_.data(), out.pos);
      pending_ = rc;
    } while (in.pos < in.size || out.pos == out.size);
  }

  // Checks that the blob ended at the end of a frame.
  void Finish() const {
    if (pending_ != 0) throw std::runtime_error("truncated zstd stream");
  }

 private:
  Sha256Stream& out_;
  std::vector<unsigned char> buffer_;
  ZSTD_DCtx* dctx_ = ZSTD_createDCtx();
  size_t pending_ = 0;
};

// One layer blob to wrap: where it is, how it is compressed and what it hashes to.
struct ScannedBlob {
  std::string path;                              // the blob file
  Compression compression = Compression::kNone;  // sniffed from the magic bytes
  std::string digest;                            // sha256 of the blob bytes
  std::string diff_id;                           // sha256 of the decompressed tar
  uint64_t size = 0;                             // size of the blob in bytes
};

// The compression a blob starts with: gzip, zstd (a frame or a skippable frame) or none.
Compression SniffCompression(const unsigned char* p, size_t n) {
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return Compression::kGzip;
  if (n >= 4) {
    const uint32_t magic = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    if (magic == 0xFD2FB528u || (magic & 0xFFFFFFF0u) == 0x184D2A50u) return Compression::kZstd;
  }
  return Compression::kNone;
}

// Reads a blob once: its digest, and the diff_id of its decompressed stream, never holding more
// than a chunk of either in memory.
ScannedBlob ScanBlob(const std::string& path) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error("cannot open " + path);
  ScannedBlob blob;
  blob.path = path;
  Sha256Stream raw, decoded;
  std::unique_ptr<GunzipHasher> gunzip;
  std::unique_ptr<UnzstdHasher> unzstd;
  std::vector<unsigned char> chunk(kWrapChunk);
  bool first = true;
  while (true) {
    const size_t n = std::fread(chunk.data(), 1, chunk.size(), file.get());
    if (n == 0) break;
    if (first) {
      blob.compression = SniffCompression(chunk.data(), n);
      if (blob.compression == Compression::kGzip) gunzip = std::make_unique<GunzipHasher>(decoded);
      if (blob.compression == Compression::kZstd) unzstd = std::make_unique<UnzstdHasher>(decoded);
      first = false;
    }
    raw.Update(chunk.data(), n);
    blob.size += n;
    if (gunzip) gunzip->Feed(chunk.data(), n);
    if (unzstd) unzstd->Feed(chunk.data(), n);
  }
  if (std::ferror(file.get())) throw std::runtime_error("cannot read " + path);
  if (blob.size == 0) throw std::runtime_error(path + " is empty, not a layer");
  if (gunzip) gunzip->Finish();
  if (unzstd) unzstd->Finish();
  blob.digest = raw.Digest();
  blob.diff_id = blob.compression == Compression::kNone ? blob.digest : decoded.Digest();
  return blob;
}

// Writes a tar file member by member, streaming large members from files.
class TarStream {
 public:
  explicit TarStream(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (file_ == nullptr) throw std::runtime_error("cannot create " + path);
  }
  ~TarStream() {
    if (file_ != nullptr) std::fclose(file_);
  }
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // Adds a regular file with in-memory content, after its parent directories.
  void AddFile(const std::string& path, const std::string& content) {
    AddParents(path);
    TarEntry e;
    e.path = path;
    e.mtime = kWrapMtime;
    e.content = content;
    TarWriter writer;
    writer.Add(e);
    Write(writer.bytes().data(), writer.bytes().size());
  }

  // Adds a regular file whose `size` bytes are copied from `source`, after its parents.
  void AddFileFrom(const std::string& path, const std::string& source, uint64_t size) {
    AddParents(path);
    RawHeaderFields h;
    h.name = path;
    h.size = size;
    h.mtime = kWrapMtime;
    if (path.size() > 100) throw std::invalid_argument("member name too long: " + path);
    const std::string header = EncodeRawHeader(h);
    Write(header.data(), header.size());
    struct Closer {
      void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> in(std::fopen(source.c_str(), "rb"));
    if (!in) throw std::runtime_error("cannot open " + source);
    std::vector<char> chunk(kWrapChunk);
    uint64_t copied = 0;
    while (copied < size) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - copied));
      const size_t n = std::fread(chunk.data(), 1, want, in.get());
      if (n == 0) throw std::runtime_error(source + " changed while it was being wrapped");
      Write(chunk.data(), n);
      copied += n;
    }
    const std::string padding((512 - size % 512) % 512, '\0');
    Write(padding.data(), padding.size());
  }

  // Writes the end-of-archive blocks and closes the file.
  void Close() {
    const std::string end(1024, '\0');
    Write(end.data(), end.size());
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw std::runtime_error("cannot write " + path_);
  }

 private:
  void AddParents(const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string dir = path.substr(0, slash + 1);
      if (std::find(dirs_.begin(), dirs_.end(), dir) != dirs_.end()) continue;
      dirs_.push_back(dir);
      TarEntry e;
      e.path = dir;
      e.type = TarType::kDirectory;
      e.mode = 0755;
      e.mtime = kWrapMtime;
      TarWriter writer;
      writer.Add(e);
      Write(writer.bytes().data(), writer.bytes().size());
    }
  }

  void Write(const char* data, size_t size) {
    if (size != 0 && std::fwrite(data, 1, size, file_) != size) {
      throw std::runtime_error("cannot write " + path_);
    }
  }

  std::string path_;
  std::FILE* file_;
  std::vector<std::string> dirs_;
};

// The members of a wrapped image: small files in memory, layer blobs by path, sorted by name.
struct WrapMembers {
  std::map<std::string, std::string> files;         // path -> content
  std::map<std::string, const ScannedBlob*> blobs;  // blobs/sha256/<hex> -> blob
};

// Builds the members of an OCI layout or a Docker >= 25 save of the scanned layers.
WrapMembers BuildWrapMembers(const WrapArgs& args, const std::vector<ScannedBlob>& layers) {
  const MediaTypes& types = args.docker_media_types ? DockerMediaTypes() : OciMediaTypes();
  const bool docker = args.format == ImageFormat::kDockerOci;
  WrapMembers m;
  ImageConfig config;
  std::vector<std::string> diff_ids;
  std::vector<Descriptor> layer_descriptors;
  for (const ScannedBlob& blob : layers) {
    Descriptor d;
    d.media_type = LayerMediaType(types, blob.compression);
    d.digest = blob.digest;
    d.size = blob.size;
    layer_descriptors.push_back(d);
    diff_ids.push_back(blob.diff_id);
    m.blobs.emplace(BlobPath(blob.digest), &blob);
  }
  const std::string config_json = ConfigJson(config, diff_ids);
  const Descriptor config_descriptor = DescribeBlob(types.config, config_json);
  const std::string manifest = ManifestJson(types, config_descriptor, layer_descriptors);
  const Descriptor manifest_descriptor = DescribeBlob(types.manifest, manifest);
  m.files[BlobPath(config_descriptor.digest)] = config_json;
  m.files[BlobPath(manifest_descriptor.digest)] = manifest;
  std::map<std::string, int> tag_uses;
  for (const std::string& ref : args.tags) ++tag_uses[ReferenceTag(ref)];
  std::vector<Descriptor> index;
  for (const std::string& ref : args.tags) {
    Descriptor d = manifest_descriptor;
    if (docker) {
      d.annotations = {{"io.containerd.image.name", QualifiedReference(ref)},
                       {"org.opencontainers.image.ref.name", ReferenceTag(ref)}};
    } else {
      // The tag alone, as skopeo writes it, unless two references share it.
      const std::string tag = ReferenceTag(ref);
      d.annotations = {{"org.opencontainers.image.ref.name", tag_uses[tag] > 1 ? ref : tag}};
    }
    index.push_back(d);
  }
  m.files["index.json"] = IndexJson(OciMediaTypes().index, index);
  m.files["oci-layout"] = OciLayoutJson();
  if (docker) {
    const std::string legacy = V1LayerJson(DigestHex(config_descriptor.digest), "", &config);
    m.files[BlobPath(Sha256Digest(legacy))] = legacy;
    DockerManifestEntry entry;
    entry.config = BlobPath(config_descriptor.digest);
    entry.tags = args.tags;
    for (const ScannedBlob& blob : layers) entry.layers.push_back(BlobPath(blob.digest));
    m.files["manifest.json"] = DockerManifestJson({entry});
    std::vector<std::pair<std::string, std::string>> repositories;
    for (const std::string& ref : args.tags) {
      repositories.emplace_back(ref, DigestHex(layers.back().diff_id));
    }
    m.files["repositories"] = RepositoriesJson(repositories);
  }
  return m;
}

// Writes an OCI layout directory; layer blobs are hard-linked when possible, else copied.
void WriteWrappedDirectory(const WrapMembers& m, const std::string& out) {
  namespace fs = std::filesystem;
  Layout layout;
  for (const auto& [path, content] : m.files) layout.AddFile(path, content);
  layout.WriteTree(out);
  for (const auto& [path, blob] : m.blobs) {
    const fs::path target = fs::path(out) / path;
    if (fs::exists(target)) continue;
    fs::create_directories(target.parent_path());
    std::error_code ec;
    fs::create_hard_link(blob->path, target, ec);
    if (ec) fs::copy_file(blob->path, target);
  }
}

// Writes a tar image (docker-oci or oci-archive) through a temporary file renamed at the end.
void WriteWrappedTar(const WrapMembers& m, const std::string& out) {
  std::map<std::string, const ScannedBlob*> order(m.blobs);
  for (const auto& [path, content] : m.files) order.emplace(path, nullptr);
  const std::string tmp = out + ".tmp";
  TarStream tar(tmp);
  for (const auto& [path, blob] : order) {
    if (blob != nullptr) {
      tar.AddFileFrom(path, blob->path, blob->size);
    } else {
      tar.AddFile(path, m.files.at(path));
    }
  }
  tar.Close();
  std::filesystem::rename(tmp, out);
}

// Prints the usage text of `wrap` to `out`.
void WrapUsage(std::FILE* out) {
  std::fprintf(
      out,
      "usage: imgmount-fixture wrap FORMAT OUT LAYERBLOB... [options]\n"
      "Wraps existing layer blobs (bottom first) as a complete single-platform image.\n"
      "  FORMAT     oci-dir, oci-archive or docker-oci\n"
      "  OUT        output file (a directory for oci-dir; must not exist or be empty)\n"
      "  LAYERBLOB  a layer tar, uncompressed, gzip (one or many members) or zstd (one or many\n"
      "             frames), recognised by its magic bytes; it is streamed, never held in memory.\n"
      "             oci-dir hard-links the blob files when it can, else copies them\n"
      "options:\n"
      "  --tag NAME:TAG          reference of the image; repeatable (default "
      "imgmount/wrap:latest)\n"
      "  --docker-media-types    Docker v2 schema 2 media types\n"
      "  -h, --help              show this text\n"
      "exit status: 0 ok, 2 error\n");
}

// Parses the arguments after `wrap`; throws std::invalid_argument on bad usage.
WrapArgs ParseWrapArgs(int argc, char** argv) {
  WrapArgs args;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      WrapUsage(stdout);
      std::exit(0);
    } else if (arg == "--tag") {
      if (i + 1 >= argc) throw std::invalid_argument("--tag needs a value");
      args.tags.push_back(argv[++i]);
    } else if (arg == "--docker-media-types") {
      args.docker_media_types = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw std::invalid_argument("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 3) {
    throw std::invalid_argument("wrap expects FORMAT OUT LAYERBLOB..., got " +
                                std::to_string(positional.size()) + " arguments");
  }
  args.format = ParseImageFormat(positional[0]);
  if (args.format != ImageFormat::kOciDir && args.format != ImageFormat::kOciArchive &&
      args.format != ImageFormat::kDockerOci) {
    throw std::invalid_argument("wrap writes oci-dir, oci-archive or docker-oci, not " +
                                positional[0]);
  }
  args.out = positional[1];
  args.blobs.assign(positional.begin() + 2, positional.end());
  if (args.tags.empty()) args.tags.push_back("imgmount/wrap:latest");
  return args;
}

// Runs `imgmount-fixture wrap ...` and returns the exit status.
int RunWrap(int argc, char** argv) {
  WrapArgs args;
  try {
    args = ParseWrapArgs(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "imgmount-fixture wrap: %s\n(try wrap --help)\n", e.what());
    return 2;
  }
  try {
    namespace fs = std::filesystem;
    if (args.format == ImageFormat::kOciDir && fs::exists(args.out) && !fs::is_empty(args.out)) {
      throw std::invalid_argument(args.out + " exists and is not an empty directory");
    }
    std::vector<ScannedBlob> layers;
    for (const std::string& path : args.blobs) layers.push_back(ScanBlob(path));
    const WrapMembers members = BuildWrapMembers(args, layers);
    if (args.format == ImageFormat::kOciDir) {
      WriteWrappedDirectory(members, args.out);
    } else {
      WriteWrappedTar(members, args.out);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imgmount-fixture wrap: %s\n", e.what());
    return 2;
  }
  return 0;
}

// Runs the tool and returns the exit status.
int Run(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "wrap") return RunWrap(argc, argv);
  Args args;
  try {
    args = ParseArgs(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "imgmount-fixture: %s\n(try --help)\n", e.what());
    return 2;
  }
  try {
    std::vector<ImageSpec> images{MakeImage(args, args.scenario, args.tags)};
    for (const std::string& extra : args.extra_images) {
      const size_t eq = extra.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == extra.size()) {
        throw std::invalid_argument("--image wants SCENARIO=NAME:TAG, not '" + extra + "'");
      }
      images.push_back(MakeImage(args, extra.substr(0, eq), {extra.substr(eq + 1)}));
    }
    WriteImages(images, args.options, args.out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imgmount-fixture: %s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace imgmount::fixture

int main(int argc, char** argv) {
  return imgmount::fixture::Run(argc, argv);
}
