#include "tests/unit/test_index_cache_images.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

extern char** environ;

namespace imgmount::testing {

namespace {

using namespace fixture;

// Text-like, compressible, deterministic.
std::string Text(size_t size) {
  std::string out;
  uint64_t state = 7;
  while (out.size() < size) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    out += std::to_string(state >> 44);
    out += (state >> 20) % 9 == 0 ? '\n' : ' ';
  }
  out.resize(size);
  return out;
}

std::string FixtureBinary() {
  std::string self(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size());
  if (n <= 0) throw std::runtime_error("cannot find the test binary");
  self.resize(static_cast<size_t>(n));
  return self.substr(0, self.rfind('/')) + "/tools/imgmount-fixture";
}

void RunFixture(std::vector<std::string> args) {
  args.insert(args.begin(), FixtureBinary());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot run " + args[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(args[0] + " " + args[1] + " failed");
  }
}

}  // namespace

TarEntry Entry(const std::string& path, TarType type, uint32_t mode) {
  TarEntry e;
  e.path = path;
  e.type = type;
  e.mode = mode;
  e.mtime = 1700000000;
  return e;
}

TarEntry PlainFile(const std::string& path, const std::string& content, uint32_t mode) {
  TarEntry e = Entry(path, TarType::kRegular, mode);
  e.content = content;
  return e;
}

std::vector<TarEntry> RichLayerEntries(size_t big) {
  TarEntry file = PlainFile("etc/config", "key=value\n", 0640);
  file.uid = 1000;
  file.gid = 100;
  file.mtime_nsec = 123456789;
  file.xattrs = {{"user.note", "hello"}, {"security.capability", std::string("\x01\0\0\x02", 4)}};
  TarEntry sparse = PlainFile("var/sparse.img", std::string(300000, '\0'));
  sparse.content.replace(0, 5, "start");
  sparse.content.replace(200000, 3, "mid");
  sparse.sparse = std::vector<SparseChunk>{{0, 4096}, {196608, 8192}, {300000, 0}};
  TarEntry symlink = Entry("usr/bin/alias", TarType::kSymlink, 0777);
  symlink.link_target = "tool";
  TarEntry hardlink = Entry("usr/bin/tool-link", TarType::kHardlink, 04755);
  hardlink.link_target = "usr/bin/tool";
  TarEntry null = Entry("dev/null", TarType::kCharDevice, 0666);
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry disk = Entry("dev/sda", TarType::kBlockDevice, 0660);
  disk.dev_major = 8;
  std::vector<TarEntry> entries = {
      Entry("etc/", TarType::kDirectory, 0755),
      file,
      Entry("usr/bin/", TarType::kDirectory, 0755),
      PlainFile("usr/bin/tool", "#!/bin/sh\necho tool\n", 04755),
      symlink,
      hardlink,
      null,
      disk,
      Entry("run/pipe", TarType::kFifo, 0644),
      Entry("var/", TarType::kDirectory, 01777),
      sparse,
      PlainFile("long/" + std::string(150, 'n') + "/" + std::string(120, 'm'), "long name"),
      PlainFile(".wh.gone", ""),
  };
  if (big > 0) entries.push_back(PlainFile("data/big.txt", Text(big)));
  return entries;
}

void WriteSample(const std::string& path, const std::string& format, Compression compression,
                 bool plus, Compression outer) {
  RunFixture({plus ? "sample-plus" : "sample", format, CompressionName(compression), path,
              "--outer", CompressionName(outer)});
}

void WriteOneLayerImage(const std::string& path, const std::vector<TarEntry>& entries,
                        const std::string& format, Compression compression) {
  std::string blob = path + ".layer";
  {
    std::ofstream out(blob, std::ios::binary | std::ios::trunc);
    std::string bytes = Compress(BuildTar(entries), compression);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + blob);
  }
  RunFixture({"wrap", format, path, blob});
  ::unlink(blob.c_str());
}

}  // namespace imgmount::testing
