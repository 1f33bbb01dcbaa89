// imgmount-fuzz-seeds OUTDIR: writes small valid inputs for every fuzz target into
// OUTDIR/<target>/, built with the project's own fixture writer and codecs: NUL-separated JSON
// documents, tiny images in every tar format, layer tars with every member kind, gzip and zstd
// blobs (one member or frame, several, seekable, with skippable frames as pzstd writes them),
// and index files written by imgmount itself.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "index/cache/index_file.h"
#include "index/cache/union_cache.h"
#include "index/cache/union_file.h"
#include "index/layer/tar_indexer.h"
#include "index/union/union_builder.h"
#include "layers/image/archive_index.h"
#include "layers/image/tar_files.h"
#include "layers/source/basic_sources.h"
#include "layers/source/scratch_file.h"
#include "tests/fuzz/toc_layer.h"
#include "tests/fuzz/union_layers.h"
#include "tests/support/bolt_writer.h"
#include "tests/support/codec.h"
#include "tests/support/image_writer.h"
#include "tests/support/scenarios.h"
#include "tests/support/tar_writer.h"
#include "tests/support/toc_blob.h"

namespace imgmount::fuzz {
namespace {

namespace fs = std::filesystem;
using namespace imgmount::fixture;

// Writes `bytes` to dir/name, creating dir.
void Save(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// The whole content of the file at `path`.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `size` bytes of compressible text.
std::string Text(size_t size) {
  std::string out;
  for (size_t i = 0; out.size() < size; ++i) {
    out += "line " + std::to_string(i * 7919 % 1000) + " of the fuzz seed text\n";
  }
  out.resize(size);
  return out;
}

// A layer tar with every member kind imgmount serves and the tar extensions it reads.
std::string LayerTar() {
  TarEntry big = FileEntry("usr/share/doc/big.txt", Text(3000));
  TarEntry sparse =
      FileEntry("var/sparse", std::string(2048, '\0') + "data" + std::string(600, 'x'));
  sparse.sparse = std::vector<SparseChunk>{{2048, 604}};
  TarEntry xattr = FileEntry("bin/ping", "elf");
  xattr.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)}};
  TarEntry gnu_long = FileEntry(std::string(120, 'g') + "/name", "long", 0600);
  gnu_long.long_names = LongNameStyle::kGnu;
  return BuildTar({DirEntry("etc"), FileEntry("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                   SymlinkEntry("etc/link", "../usr/share/doc/big.txt"), DirEntry("usr"),
                   DirEntry("usr/share"), DirEntry("usr/share/doc"), big,
                   HardlinkEntry("usr/hard", big), DirEntry("var"), sparse, DirEntry("bin"), xattr,
                   gnu_long, FileEntry(std::string(150, 'p') + "/pax", "pax"),
                   DeviceEntry("dev-null", TarType::kCharDevice, 1, 3, 0666), FifoEntry("fifo"),
                   WhiteoutEntry("etc/gone"), OpaqueEntry("var")});
}

// Inputs of the json target: a config, a docker save, a flat and a nested OCI index.
void JsonSeeds(const fs::path& dir) {
  const std::string nul(1, '\0');
  const std::string config =
      R"({"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin","A=b"],)"
      R"("Cmd":["sh"],"Entrypoint":["/init"],"WorkingDir":"/","User":"1:1",)"
      R"("ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"k":"v"}},)"
      R"("rootfs":{"type":"layers","diff_ids":["sha256:@3"]},"history":[{"created":)"
      R"("2024-01-01T00:00:00Z","created_by":"ADD x /","comment":"c"},{"empty_layer":true}]})";
  Save(dir, "config", config);
  Save(dir, "docker-save",
       R"([{"Config":"blobs/sha256/@1","RepoTags":["fuzz:latest"],"Layers":["@2.tar"]}])" + nul +
           config + nul + "layer" + nul + "layer");
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:@3",)"
      R"("size":#3},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
      R"("digest":"sha256:@4","size":#4}]})";
  const std::string descriptor =
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@2",)"
      R"("size":#2,"platform":{"os":"linux","architecture":"amd64"},)"
      R"("annotations":{"org.opencontainers.image.ref.name":"latest"}})";
  const std::string nested =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      descriptor +
      R"(,{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
      std::string(64, 'a') +
      R"(","size":1,"platform":{"os":"linux","architecture":"arm64",)"
      R"("variant":"v8"}}]})";
  Save(dir, "oci-nested",
       R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json",)"
       R"("digest":"sha256:@1","size":#1,"annotations":{"io.containerd.image.name":"fuzz:1"}}]})" +
           nul + nested + nul + manifest + nul +
           std::string(config).replace(config.find("@3"), 2, "@4") + nul + "layer");
  std::string flat = manifest;
  flat.replace(flat.find("@3"), 2, "@2").replace(flat.find("#3"), 2, "#2");
  flat.replace(flat.find("@4"), 2, "@3").replace(flat.find("#4"), 2, "#3");
  std::string top = descriptor;
  top.replace(top.find("@2"), 2, "@1").replace(top.find("#2"), 2, "#1");
  Save(dir, "oci",
       R"({"schemaVersion":2,"manifests":[)" + top + "]}" + nul + flat + nul + config + nul +
           "layer");
}

// Two small layers with a symlink, a whiteout and a replaced directory.
Scenario TinyScenario() {
  Scenario s;
  s.name = "fuzz";
  s.config.env = {"PATH=/bin"};
  s.layers = {{DirEntry("etc"), FileEntry("etc/hosts", "127.0.0.1 localhost\n"),
               SymlinkEntry("etc/l", "hosts")},
              {DirEntry("etc"), WhiteoutEntry("etc/l"), FileEntry("etc/new", "new\n")}};
  return s;
}

// Inputs of the image target: every tar format, plain and gzip layers, outer compression.
void ImageSeeds(const fs::path& dir) {
  std::vector<ImageSpec> images{BuildImageSpec(TinyScenario(), {"fuzz:latest"})};
  for (ImageFormat format :
       {ImageFormat::kDockerLegacy, ImageFormat::kDockerArchive, ImageFormat::kDockerOci,
        ImageFormat::kContainerd, ImageFormat::kOciArchive}) {
    for (Compression c : {Compression::kNone, Compression::kGzip}) {
      WriteOptions options;
      options.format = format;
      options.compression = c;
      Save(dir, std::string(ImageFormatName(format)) + "-" + CompressionName(c),
           BuildImageArchive(images, options));
    }
  }
  WriteOptions options;
  options.format = ImageFormat::kOciArchive;
  for (Compression outer : {Compression::kGzip, Compression::kZstd}) {
    options.outer = outer;
    Save(dir, std::string("oci-archive-outer-") + CompressionName(outer),
         BuildImageArchive(images, options));
  }
}

// A zstd skippable frame (magic 0x184D2A50 + low) carrying `payload`.
std::string SkippableFrame(const std::string& payload, int low = 0) {
  std::string out{static_cast<char>(0x50 + low), '\x2a', '\x4d', '\x18'};
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
  return out + payload;
}

// What pzstd writes: frames of `frame_size` input bytes, each after a skippable frame holding
// the frame's compressed size.
std::string PzstdLike(std::string_view data, size_t frame_size) {
  std::string out;
  for (size_t at = 0; at < data.size(); at += frame_size) {
    std::string frame = ZstdCompress(data.substr(at, frame_size));
    std::string size;
    for (int i = 0; i < 4; ++i) size.push_back(static_cast<char>((frame.size() >> (8 * i)) & 0xff));
    out += SkippableFrame(size) + frame;
  }
  return out;
}

// Inputs of the gzip and zstd targets, with two option bytes each.
void CodecSeeds(const fs::path& root) {
  const std::string text = Text(9000);
  for (char flags : {'1', '6'}) {
    std::string f(1, flags);
    Save(root / "gzip", "one-" + f, f + GzipCompress(text));
    Save(root / "gzip", "members-" + f, f + GzipCompressMembers(text, 2500));
    Save(root / "gzip", "stored-" + f, f + GzipCompress(text.substr(0, 3000), 0));
    Save(root / "zstd", "one-" + f, f + ZstdCompress(text));
    Save(root / "zstd", "frames-" + f, f + ZstdCompressFrames(text, 1500));
    Save(root / "zstd", "seekable-" + f, f + ZstdCompressSeekable(text, 2000));
    Save(root / "zstd", "pzstd-" + f, f + PzstdLike(text, 2500));
    Save(root / "zstd", "skippable-" + f,
         f + SkippableFrame("metadata", 15) + ZstdCompress(text.substr(0, 4000)) +
             SkippableFrame("") + ZstdCompressFrames(text.substr(4000), 1200) +
             SkippableFrame("end"));
  }
}

// One layer index file per codec, written by imgmount's own writer.
void LayerIndexSeed(const fs::path& dir, const std::string& name, const std::string& blob_bytes) {
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(blob_bytes, name);
  DecodeOptions options;
  options.span_bytes = 1024;
  options.prefetch = false;
  std::shared_ptr<const ScratchFile> copy;
  auto index = IndexLayer(blob, name, options, {}, &copy);
  LayerFileInfo info;
  info.key = "sha256:" + std::string(64, '1');
  info.origin = "fuzz seed";
  info.digests = index->digests();
  info.local_copy_name = copy ? "copy" : "";
  std::string path = (dir / "tmp").string(), why;
  if (!WriteLayerIndexFile(path, *index, info, copy ? copy->Size() : 0, &why)) {
    throw std::runtime_error(why);
  }
  std::string bytes = ReadFile(path);
  fs::remove(path);
  Save(dir, name + "-raw", std::string(1, '\0') + bytes);
  Save(dir, name + "-fixed", std::string(1, '\1') + bytes);
}

// Inputs of the index_file target: layer indexes of each codec and an archive index.
void IndexFileSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  const std::string tar = LayerTar();
  LayerIndexSeed(dir, "layer-none", tar);
  LayerIndexSeed(dir, "layer-gzip", GzipCompress(tar));
  LayerIndexSeed(dir, "layer-zstd", ZstdCompress(tar));
  LayerIndexSeed(dir, "layer-zstd-frames", ZstdCompressFrames(tar, 2000));

  WriteOptions options;
  options.format = ImageFormat::kOciArchive;
  options.outer = Compression::kGzip;
  std::string archive =
      BuildImageArchive({BuildImageSpec(TinyScenario(), {"fuzz:latest"})}, options);
  std::string path = (dir / "tmp").string(), why;
  ArchiveIndexHooks hooks;
  hooks.store = [&](const ArchiveIndex& index, const std::shared_ptr<const ScratchFile>&) {
    if (!WriteArchiveIndexFile(path, index, "fuzz", "", 0, &why)) throw std::runtime_error(why);
  };
  OpenTarFiles(std::make_shared<MemorySource>(archive, "archive"), "archive", &hooks);
  std::string bytes = ReadFile(path);
  fs::remove(path);
  Save(dir, "archive-raw", std::string(1, '\0') + bytes);
  Save(dir, "archive-fixed", std::string(1, '\1') + bytes);
}

// Inputs of the union_file target: the union of the fixed layers, as the index cache writes it.
void UnionFileSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  auto tree = BuildUnionTree(FuzzUnionLayers(), [](const std::string&) {});
  std::string path = (dir / "tmp").string(), why;
  if (!WriteUnionFile(path, *tree, UnionChainId(FuzzUnionStems()), FuzzUnionStems(), {"a warning"},
                      &why)) {
    throw std::runtime_error(why);
  }
  std::string bytes = ReadFile(path);
  fs::remove(path);
  Save(dir, "union-raw", std::string(1, '\0') + bytes);
  Save(dir, "union-fixed", std::string(1, '\1') + bytes);
}

// Inputs of the toc target: the TOCs the fixture builder writes for its layer, each format.
void TocSeeds(const fs::path& dir) {
  auto chunked = imgmount::fixture::MakeZstdChunked(FuzzTocEntries(), kFuzzTocChunk);
  Save(dir, "zstd-chunked", std::string(1, '\0') + chunked.toc_json);
  auto estargz = imgmount::fixture::MakeEstargz(FuzzTocEntries(), kFuzzTocChunk);
  Save(dir, "estargz", std::string(1, '\1') + estargz.toc_json);
}

// Inputs of the bolt target: containerd meta.db files of 512-byte pages (overflow pages,
// inline and page buckets), and one whose root is a branch page.
void BoltSeeds(const fs::path& dir) {
  using imgmount::test::BoltImage;
  const std::string type = "application/vnd.oci.image.index.v1+json";
  const std::string digest = "sha256:" + std::string(64, 'a');
  Save(dir, "meta-one",
       imgmount::test::ContainerdMetaDb({{"default", "x:1", digest, type, 42}}, 512));
  std::vector<BoltImage> many;
  for (int i = 0; i < 12; ++i) {
    many.push_back({i % 2 ? "moby" : "default",
                    "docker.io/library/img" + std::to_string(i) + ":latest", digest, type,
                    1000 + i});
  }
  Save(dir, "meta-many", imgmount::test::ContainerdMetaDb(many, 512));
  imgmount::test::BoltWriter writer(512);
  uint64_t left =
      writer.Leaf({{"a", "1", false},
                   {"b", imgmount::test::BoltWriter::InlineBucket({{"x", "y", false}}), true}});
  uint64_t right = writer.Leaf({{"m", std::string(700, 'v'), false}});
  Save(dir, "branch", writer.Finish(writer.Branch({{"a", left}, {"m", right}})));
}

}  // namespace
}  // namespace imgmount::fuzz

int main(int argc, char** argv) {
  using namespace imgmount::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: imgmount-fuzz-seeds OUTDIR\n");
    return 2;
  }
  try {
    fs::path out = argv[1];
    JsonSeeds(out / "json");
    ImageSeeds(out / "image");
    Save(out / "tar", "layer", LayerTar());
    Save(out / "tar", "layer-no-end",
         imgmount::fixture::BuildTar({imgmount::fixture::FileEntry("a", "b")}, {false, 0}));
    CodecSeeds(out);
    IndexFileSeeds(out / "index_file");
    UnionFileSeeds(out / "union_file");
    TocSeeds(out / "toc");
    BoltSeeds(out / "bolt");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imgmount-fuzz-seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
