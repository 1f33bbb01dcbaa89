#include "tests/fuzz/union_layers.h"

#include "index/layer/tar_indexer.h"
#include "layers/source/basic_sources.h"
#include "tests/support/scenarios.h"
#include "tests/support/tar_writer.h"

namespace imgmount::fuzz {
namespace {

using namespace imgmount::fixture;

std::shared_ptr<const LayerIndex> IndexOf(const std::string& tar, const std::string& name) {
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(tar, name);
  DecodeOptions options;
  options.prefetch = false;
  return IndexLayer(blob, name, options, {});
}

std::vector<std::shared_ptr<const LayerIndex>> MakeLayers() {
  TarEntry busybox = FileEntry("bin/busybox", "busybox", 04755);
  busybox.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02", 4)}};
  TarEntry sparse = FileEntry("var/sparse", std::string(2048, '\0') + "data");
  sparse.sparse = std::vector<SparseChunk>{{2048, 4}};
  std::string base =
      BuildTar({DirEntry("bin"), busybox, HardlinkEntry("bin/sh", busybox),
                SymlinkEntry("lib", "usr/lib"), DirEntry("etc"), FileEntry("etc/passwd", "root\n"),
                DirEntry("opt/old"), FileEntry("opt/old/a", "a"), DirEntry("var"), sparse,
                DeviceEntry("dev/null", TarType::kCharDevice, 1, 3, 0666), FifoEntry("run/fifo")});
  std::string top =
      BuildTar({WhiteoutEntry("etc/passwd"), OpaqueEntry("opt"), FileEntry("opt/new", "new"),
                HardlinkEntry("usr/bin/sh", busybox), DirEntry("etc", 0700)});
  return {IndexOf(base, "fuzz base"), IndexOf(top, "fuzz top")};
}

}  // namespace

const std::vector<std::shared_ptr<const LayerIndex>>& FuzzUnionLayers() {
  static const std::vector<std::shared_ptr<const LayerIndex>> layers = MakeLayers();
  return layers;
}

const std::vector<std::string>& FuzzUnionStems() {
  static const std::vector<std::string> stems = {"sha256-" + std::string(64, 'a'),
                                                 "sha256-" + std::string(64, 'b')};
  return stems;
}

}  // namespace imgmount::fuzz
