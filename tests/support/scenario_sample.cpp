// The `sample` and `sample-plus` scenarios: multi-layer images that exercise every rule of
// the union rules (docs/ARCHITECTURE.md) that real tools (umoci raw unpack) agree on. Every layer
// declares its parent directories, so that a tool applying the layers on disk never creates one
// implicitly.
#include <cstdint>
#include <map>
#include <string>

#include "tests/support/scenarios.h"

namespace imgmount::fixture {
namespace {

// A v2 security.capability value granting cap_net_raw (bit 13), permitted and effective.
const std::string kNetRawCapability(
    "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00",
    20);

// Sets owner and group (numeric, with optional names).
TarEntry Owned(TarEntry e, uint64_t uid, uint64_t gid, const std::string& uname = "",
               const std::string& gname = "") {
  e.uid = uid;
  e.gid = gid;
  e.uname = uname;
  e.gname = gname;
  return e;
}

// Sets a modification time with nanoseconds.
TarEntry Timed(TarEntry e, int64_t sec, uint32_t nsec) {
  e.mtime = sec;
  e.mtime_nsec = nsec;
  return e;
}

// Adds an extended attribute.
TarEntry WithXattr(TarEntry e, const std::string& name, const std::string& value) {
  e.xattrs.emplace_back(name, value);
  return e;
}

// Chooses how an over-long name or link target is written.
TarEntry Styled(TarEntry e, LongNameStyle style) {
  e.long_names = style;
  return e;
}

// A 1 MiB file with two data regions and holes between and after them.
TarEntry SparseFile(const std::string& path) {
  std::string content(1 << 20, '\0');
  content.replace(0, 4096, std::string(4096, 'A'));
  content.replace(512 * 1024, 4096, std::string(4096, 'B'));
  TarEntry e = FileEntry(path, content, 0644);
  e.sparse = std::vector<SparseChunk>{{0, 4096}, {512 * 1024, 4096}, {1 << 20, 0}};
  return e;
}

// A file that starts with an 8 KiB hole.
TarEntry HeadHoleFile(const std::string& path) {
  std::string content(8192, '\0');
  content += std::string(100, 'C');
  TarEntry e = FileEntry(path, content, 0600);
  e.sparse = std::vector<SparseChunk>{{8192, 100}};
  return e;
}

// About 400 KiB of deterministic, moderately compressible text, so that layer 1 spans several
// gzip members / zstd frames of 64 KiB.
std::string BigText() {
  static const char* const kWords[] = {"layer",  "union", "whiteout", "opaque", "inode",
                                       "digest", "blob",  "manifest", "index",  "tar"};
  std::string text;
  uint32_t state = 12345;
  for (int line = 0; text.size() < 400 * 1024; ++line) {
    text += "line " + std::to_string(line) + ":";
    for (int w = 0; w < 8; ++w) {
      state = state * 1103515245u + 12345u;
      text += ' ';
      text += kWords[(state >> 16) % 10];
      text += std::to_string((state >> 8) & 0xff);
    }
    text += '\n';
  }
  return text;
}

// Paths whose length needs GNU or PAX extensions.
const std::string kGnuLongName = "usr/share/long/" + std::string(120, 'g');
const std::string kPaxLongName = "usr/share/long/" + std::string(110, 'p');
const std::string kUstarSplitName =
    "usr/share/split/" + std::string(80, 'q') + "/file-in-ustar-prefix.txt";
const std::string kDeepName = "usr/share/deep/" + std::string(60, 'a') + "/" +
                              std::string(60, 'b') + "/" + std::string(60, 'c') + "/" +
                              std::string(60, 'd') + "/file-beyond-255-bytes.txt";

// Base layer: the bulk of the tree and everything the upper layers modify.
std::vector<TarEntry> BaseLayer(TarEntry& tool, TarEntry& hl_target, TarEntry& base_txt) {
  tool =
      Timed(FileEntry("usr/bin/tool", "#!/bin/sh\necho tool\n", 0755), kScenarioMtime, 123456789);
  hl_target = FileEntry("etc/hl-target", "hardlink target v1\n", 0644);
  base_txt = FileEntry("usr/share/base.txt", "base text, hardlinked from an upper layer\n");
  return {
      DirEntry("etc"),
      FileEntry("etc/hostname", "imgmount-sample\n"),
      FileEntry("etc/motd", "welcome to the sample image\n"),
      FileEntry("etc/remove-me", "whited out by layer 3\n"),
      FileEntry("etc/empty", ""),
      Timed(FileEntry("etc/old-file", "from 1969\n"), -86400 * 200, 0),
      Timed(FileEntry("etc/future-file", "from 2100\n"), 4102444800, 999999999),
      hl_target,
      SymlinkEntry("etc/dangling", "/nonexistent/target"),
      DirEntry("etc/conf.d"),
      FileEntry("etc/conf.d/old.conf", "hidden by the opaque marker\n"),
      DirEntry("etc/conf.d/sub"),
      FileEntry("etc/conf.d/sub/deep.conf", "hidden too\n"),
      DirEntry("usr"),
      DirEntry("usr/bin"),
      tool,
      HardlinkEntry("usr/bin/tool-hardlink", tool),
      FileEntry("usr/bin/su-like", "setuid\n", 04755),
      FileEntry("usr/bin/sg-like", "setgid\n", 02755),
      WithXattr(WithXattr(FileEntry("usr/bin/ping-like", "needs cap_net_raw\n", 0755),
                          "security.capability", kNetRawCapability),
                "user.note", "original note"),
      DirEntry("usr/lib"),
      FileEntry("usr/lib/libfoo.so.1",
                "\x7f"
                "ELF fake library\n",
                0755),
      SymlinkEntry("usr/lib/libfoo.so", "libfoo.so.1"),
      DirEntry("usr/share"),
      base_txt,
      FileEntry("usr/share/big.txt", BigText()),
      SymlinkEntry("lib", "usr/lib"),
      SymlinkEntry("bin", "/usr/bin"),
      DirEntry("tmp", 01777),
      DirEntry("srv"),
      DirEntry("srv/data"),
      FileEntry("srv/data/old1.txt", "deleted in layer 3\n"),
      DirEntry("srv/data/nested"),
      FileEntry("srv/data/nested/old2.txt", "deleted in layer 3\n"),
      DirEntry("var"),
      DirEntry("var/cache-old"),
      FileEntry("var/cache-old/a", "a\n"),
      DirEntry("var/cache-old/b"),
      FileEntry("var/cache-old/b/c", "c\n"),
      Owned(DirEntry("var/shared", 02775), 0, 50, "root", "staff"),
      DirEntry("var/lib"),
      SparseFile("var/lib/sparse.img"),
      HeadHoleFile("var/lib/sparse-head-hole"),
      DirEntry("opt"),
      DirEntry("opt/tree"),
      FileEntry("opt/tree/x", "x\n"),
      DirEntry("opt/tree/y"),
      FileEntry("opt/tree/y/z", "z\n"),
      DirEntry("home"),
      Timed(WithXattr(Owned(DirEntry("home/user", 0750), 1000, 1000, "user", "user"),
                      "user.dirnote", "a directory xattr"),
            kScenarioMtime - 3600, 250000000),
      Timed(Owned(FileEntry("home/user/notes.txt", "notes\n", 0640), 1000, 1000, "user", "user"),
            kScenarioMtime, 1),
      DirEntry("home/big"),
      Owned(FileEntry("home/big/file", "owned by a base-256 uid\n"), 3000000, 3000000),
      DirEntry("dev"),
      DeviceEntry("dev/null-like", TarType::kCharDevice, 1, 3, 0666),
      Owned(DeviceEntry("dev/loop-like", TarType::kBlockDevice, 7, 0, 0660), 0, 6, "", "disk"),
      DirEntry("run"),
      FifoEntry("run/fifo", 0600),
  };
}

// The same small layer is used twice (positions 2 and 5): docker-legacy writes its second copy
// as a symlink.
std::vector<TarEntry> MarkerLayer() {
  return {FileEntry("etc/layer-marker", "this layer appears twice in the image\n")};
}

// Layer 3, written with "./" names: whiteouts, a hardlink into a lower layer, long names.
std::vector<TarEntry> ChangeLayer1(const TarEntry& hl_target, const TarEntry& base_txt) {
  TarEntry gnu_long =
      Styled(FileEntry("./" + kGnuLongName, "GNU long name\n"), LongNameStyle::kGnu);
  TarEntry hl_link = HardlinkEntry("./etc/hl-link", hl_target);
  hl_link.link_target = "./etc/hl-target";
  TarEntry base_link = HardlinkEntry("./opt/app/base-link", base_txt);
  base_link.link_target = "./usr/share/base.txt";
  TarEntry gnu_link =
      Styled(HardlinkEntry("./usr/share/long/hardlink-gnu", gnu_long), LongNameStyle::kGnu);
  return {
      DirEntry("./", 0755),
      DirEntry("./etc"),
      WhiteoutEntry("./etc/remove-me"),
      hl_link,
      Timed(FileEntry("./etc/app.conf", "key=value\n"), kScenarioMtime + 5, 500000000),
      DirEntry("./etc/odd"),
      FileEntry("./etc/odd/with space", "space\n"),
      FileEntry("./etc/odd/caf\xc3\xa9", "utf-8\n"),
      FileEntry("./etc/odd/new\nline", "newline\n"),
      FileEntry("./etc/odd/back\\slash", "backslash\n"),
      FileEntry("./etc/odd/tab\there", "tab\n"),
      DirEntry("./opt"),
      DirEntry("./opt/app"),
      base_link,
      DirEntry("./srv"),
      WhiteoutEntry("./srv/data"),
      DirEntry("./var"),
      WhiteoutEntry("./var/cache-old"),
      DirEntry("./usr"),
      DirEntry("./usr/share"),
      DirEntry("./usr/share/long"),
      gnu_long,
      gnu_link,
      FileEntry("./" + kPaxLongName, "PAX long name\n"),
      Styled(FileEntry("./" + kUstarSplitName, "ustar prefix field\n"),
             LongNameStyle::kUstarPrefix),
      FileEntry("./" + kDeepName, "a path longer than 255 bytes\n"),
      SymlinkEntry("./usr/share/long/symlink-to-deep", "/" + kDeepName),
  };
}

// Layer 4: an opaque directory (marker after its children), a changed hardlink target, a
// directory over a lower symlink, a re-created directory and a file over a lower subtree.
std::vector<TarEntry> ChangeLayer2(const TarEntry& tool) {
  TarEntry link3 = HardlinkEntry("usr/bin/tool-hardlink3", tool);
  return {
      DirEntry("etc"),
      Timed(DirEntry("etc/conf.d"), kScenarioMtime + 20, 42),
      FileEntry("etc/conf.d/new.conf", "survives its own opaque marker\n"),
      OpaqueEntry("etc/conf.d"),
      Timed(FileEntry("etc/hl-target", "hardlink target v2\n", 0600), kScenarioMtime + 10, 0),
      DirEntry("lib", 0755),
      FileEntry("lib/modules.txt", "a directory replaced the /lib symlink\n"),
      DirEntry("srv"),
      DirEntry("srv/data", 0700),
      FileEntry("srv/data/new.txt", "re-created after the whiteout\n"),
      DirEntry("opt"),
      FileEntry("opt/tree", "a file replaced the lower directory tree\n"),
      DirEntry("usr"),
      DirEntry("usr/bin"),
      link3,
  };
}

// The history of `sample`, one non-empty entry per layer plus two empty ones.
std::vector<HistoryEntry> SampleHistory() {
  return {
      {"2024-01-01T00:00:00Z", "ADD rootfs.tar /", "base", false},
      {"2024-01-01T00:00:01Z", "COPY layer-marker /etc/", "", false},
      {"2024-01-01T00:00:02Z", "ENV LANG=C.UTF-8", "", true},
      {"2024-01-01T00:00:03Z", "RUN change-1", "", false},
      {"2024-01-01T00:00:04Z", "RUN change-2", "", false},
      {"2024-01-01T00:00:05Z", "COPY layer-marker /etc/", "", false},
      {"2024-01-01T00:00:06Z", "CMD [\"/bin/sh\"]", "", true},
  };
}

// Builds the layers of `sample` with parents completed, in order.
std::vector<std::vector<TarEntry>> SampleLayers(std::map<std::string, TarEntry>& known_dirs) {
  TarEntry tool, hl_target, base_txt;
  std::vector<std::vector<TarEntry>> layers;
  layers.push_back(WithParents(BaseLayer(tool, hl_target, base_txt), known_dirs));
  layers.push_back(WithParents(MarkerLayer(), known_dirs));
  layers.push_back(WithParents(ChangeLayer1(hl_target, base_txt), known_dirs));
  layers.push_back(WithParents(ChangeLayer2(tool), known_dirs));
  layers.push_back(layers[1]);
  return layers;
}

}  // namespace

Scenario SampleScenario() {
  Scenario s;
  s.name = "sample";
  s.description = "5 layers (one repeated) exercising every union rule and tar feature";
  s.config.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"};
  s.config.entrypoint = {"/usr/bin/tool"};
  s.config.cmd = {"/bin/sh"};
  s.config.working_dir = "/home/user";
  s.config.user = "1000:1000";
  s.config.exposed_ports = {"53/udp", "8080/tcp"};
  s.config.labels = {{"org.opencontainers.image.title", "imgmount-sample"},
                     {"org.example.purpose", "fixture"}};
  s.config.history = SampleHistory();
  std::map<std::string, TarEntry> known_dirs;
  s.layers = SampleLayers(known_dirs);
  return s;
}

Scenario SamplePlusScenario() {
  Scenario s = SampleScenario();
  s.name = "sample-plus";
  s.description = "sample plus a layer that adds, changes (content, mode, xattr) and deletes";
  std::map<std::string, TarEntry> known_dirs;
  SampleLayers(known_dirs);
  s.layers.push_back(WithParents(
      {
          FileEntry("etc/motd", "the motd changed in sample-plus\n"),
          Timed(FileEntry("etc/app.conf", "key=value\n", 0600), kScenarioMtime + 5, 500000000),
          WhiteoutEntry("etc/hostname"),
          WithXattr(WithXattr(FileEntry("usr/bin/ping-like", "needs cap_net_raw\n", 0755),
                              "security.capability", kNetRawCapability),
                    "user.note", "changed note"),
          FileEntry("usr/lib/libfoo.so.2",
                    "\x7f"
                    "ELF fake library v2\n",
                    0755),
          SymlinkEntry("usr/lib/libfoo.so", "libfoo.so.2"),
          DirEntry("new"),
          FileEntry("new/file.txt", "added in sample-plus\n"),
          Owned(FileEntry("home/user/notes.txt", "notes, edited\n", 0640), 1000, 1000),
      },
      known_dirs));
  s.config.history.push_back({"2024-01-01T00:00:07Z", "RUN change-3", "", false});
  return s;
}

}  // namespace imgmount::fixture
