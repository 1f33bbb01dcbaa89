// The member tables of a layer index file: every rare field (link targets, nanoseconds, xattrs,
// sparse runs, device numbers, large ids and sizes, negative times) comes back from a written
// and reloaded file exactly; shared attributes are stored once and rare fields only for the
// members that have them; forged attribute and extra indexes and records are refused, and a
// cached index with them is rebuilt.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <tuple>

#include "index/cache/index_file.h"
#include "layers/base/section_file.h"
#include "layers/codecs/codec_choice.h"
#include "tests/unit/test_index_cache_support.h"
#include "tests/unit/test_index_file_support.h"

namespace imgmount {
namespace {

using namespace fixture;

using testing::Entry;
using testing::Forge;
using testing::IndexAndWrite;
using testing::Opened;
using testing::OpenWithCache;
using testing::PlainFile;
using testing::Refusal;
using testing::TempDir;
using testing::Written;

constexpr uint64_t kTiB = uint64_t{1} << 40;

// A layer with every rare field, and many plain files that share their attributes.
std::vector<TarEntry> RareFieldEntries() {
  std::vector<TarEntry> entries = {Entry("etc/", TarType::kDirectory, 0755)};
  TarEntry symlink = Entry("etc/alias", TarType::kSymlink, 0777);
  symlink.link_target = "../usr/" + std::string(180, 't') + "/tool";
  TarEntry hardlink = Entry("usr/bin/tool-link", TarType::kHardlink, 04755);
  hardlink.link_target = "usr/bin/tool";
  TarEntry nsec = PlainFile("etc/precise", "time", 0600);
  nsec.mtime_nsec = 999999999;
  TarEntry attrs = PlainFile("usr/bin/ping", "ping", 0755);
  attrs.xattrs = {{"security.capability", std::string("\x01\0\0\x02\0", 5)},
                  {"user.empty", ""},
                  {"trusted.overlay.opaque", "y"}};
  TarEntry sparse = PlainFile("var/huge.img", std::string(8192, 'x'));
  sparse.sparse = std::vector<SparseChunk>{{0, 4096}, {8192, 0}};
  sparse.extra_pax = {{"GNU.sparse.realsize", std::to_string(kTiB)}};
  TarEntry hole = PlainFile("var/hole.img", std::string(1 << 20, '\0'));
  hole.sparse = std::vector<SparseChunk>{};
  TarEntry chr = Entry("dev/odd", TarType::kCharDevice, 0620);
  chr.dev_major = 4095;
  chr.dev_minor = 1048575;
  TarEntry blk = Entry("dev/nvme0n1", TarType::kBlockDevice, 0660);
  blk.dev_major = 259;
  blk.dev_minor = 7;
  TarEntry ids = PlainFile("home/user/file", "ids", 0640);
  ids.uid = 4000000000;
  ids.gid = 70000;
  TarEntry old = PlainFile("var/old", "1900", 0644);
  old.mtime = -2208988800;
  TarEntry old_precise = PlainFile("var/old-precise", "1969", 0644);
  old_precise.mtime = -100;
  old_precise.mtime_nsec = 250000000;
  for (TarEntry e :
       {symlink, hardlink, nsec, attrs, sparse, hole, chr, blk, ids, old, old_precise}) {
    entries.push_back(e);
  }
  entries.insert(entries.begin() + 2, PlainFile("usr/bin/tool", "#!/bin/sh\n", 04755));
  entries.push_back(Entry("run/pipe", TarType::kFifo, 0600));
  for (int i = 0; i < 500; ++i) entries.push_back(PlainFile("data/f" + std::to_string(i), "x"));
  return entries;
}

std::map<std::string, TarMember> ByPath(const LayerIndex& index) {
  std::map<std::string, TarMember> out;
  for (uint32_t i = 0; i < index.size(); ++i) {
    TarMember m = index.member(i);
    out.emplace(std::string(m.path), m);
  }
  return out;
}

// A reloaded index of `w`, its stream reopened from the blob.
std::shared_ptr<LayerIndex> Reload(const Written& w, std::optional<LayerIndexFile>* file) {
  std::string why;
  *file = ReadLayerIndexFile(w.path, w.blob.blob->Size(), SniffCodec(*w.blob.blob), &why);
  INFO(why);
  REQUIRE(file->has_value());
  auto loaded = std::make_shared<LayerIndex>("layer 1", (*file)->tables, (*file)->owner);
  loaded->AttachStream(OpenIndexed(w.blob.blob, (*file)->stream.index, "layer 1"),
                       (*file)->stream.index, (*file)->info.digests);
  return loaded;
}

}  // namespace

TEST_CASE("every rare member field round-trips through an index file", "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, RareFieldEntries(), Compression::kGzip);
  std::optional<LayerIndexFile> file;
  auto loaded = Reload(w, &file);
  CHECK(testing::Dump(*loaded) == testing::Dump(*w.index));
  auto m = ByPath(*loaded);

  CHECK(m.at("etc/alias").type == MemberType::kSymlink);
  CHECK(m.at("etc/alias").link_target == "../usr/" + std::string(180, 't') + "/tool");
  CHECK(m.at("etc/alias").mode == 0777);
  CHECK(m.at("usr/bin/tool-link").type == MemberType::kHardlink);
  CHECK(m.at("usr/bin/tool-link").link_target == "usr/bin/tool");
  CHECK(m.at("usr/bin/tool-link").mode == 04755);
  CHECK(m.at("etc/precise").mtime_sec == 1700000000);
  CHECK(m.at("etc/precise").mtime_nsec == 999999999);
  CHECK(m.at("etc/precise").mode == 0600);
  // Sorted by name, as Go's map of them; an empty value makes no xattr (Go's mergePAX).
  auto xattrs = m.at("usr/bin/ping").xattrs;
  using Xattrs = std::vector<std::pair<std::string_view, std::string_view>>;
  CHECK(xattrs == Xattrs{{"security.capability", std::string_view("\x01\0\0\x02\0", 5)},
                         {"trusted.overlay.opaque", "y"}});
  const TarMember& huge = m.at("var/huge.img");
  CHECK(huge.size == kTiB);
  REQUIRE(huge.sparse.size() == 1);
  CHECK(huge.sparse[0].offset == 0);
  CHECK(huge.sparse[0].length == 4096);
  CHECK(huge.is_sparse);
  // A file that is all hole is sparse without a run (index format 3's flag).
  const TarMember& hole = m.at("var/hole.img");
  CHECK(hole.is_sparse);
  CHECK(hole.size == 1 << 20);
  CHECK(hole.sparse.empty());
  CHECK_FALSE(m.at("etc/precise").is_sparse);
  CHECK(m.at("dev/odd").type == MemberType::kCharDevice);
  CHECK(m.at("dev/odd").dev_major == 4095);
  CHECK(m.at("dev/odd").dev_minor == 1048575);
  CHECK(m.at("dev/odd").mode == 0620);
  CHECK(m.at("dev/nvme0n1").type == MemberType::kBlockDevice);
  CHECK(m.at("dev/nvme0n1").dev_major == 259);
  CHECK(m.at("dev/nvme0n1").dev_minor == 7);
  CHECK(m.at("home/user/file").uid == 4000000000u);
  CHECK(m.at("home/user/file").gid == 70000u);
  CHECK(m.at("var/old").mtime_sec == -2208988800);
  CHECK(m.at("var/old").mtime_nsec == 0);
  CHECK(m.at("var/old-precise").mtime_sec < 0);
  CHECK(m.at("run/pipe").type == MemberType::kFifo);
  CHECK(m.at("data/f499").size == 1);
  CHECK(m.at("data/f499").link_target.empty());
  CHECK(m.at("data/f499").xattrs.empty());
  CHECK(m.at("data/f499").sparse.empty());
  CHECK(m.at("data/f499").mtime_nsec == 0);

  // Shared attributes are stored once, rare fields only for the members that have them.
  const IndexTables& t = file->tables;
  std::set<std::tuple<uint32_t, MemberType, uint32_t, uint32_t, uint32_t, uint32_t>> distinct;
  uint32_t rare = 0;
  for (uint32_t i = 0; i < loaded->size(); ++i) {
    TarMember x = loaded->member(i);
    distinct.emplace(x.mode, x.type, x.uid, x.gid, x.dev_major, x.dev_minor);
    if (!x.link_target.empty() || x.mtime_nsec != 0 || !x.xattrs.empty() || x.is_sparse) {
      CHECK(t.members[i].extra_index == rare++);
    } else {
      CHECK(t.members[i].extra_index == kNoExtra);
    }
  }
  CHECK(t.attrs.size() == distinct.size());
  CHECK(t.attrs.size() < 20);
  CHECK(t.extras.size() == rare);
  CHECK(rare >= 5);
}

TEST_CASE("the builder interns attributes and keeps rare fields aside", "[index-file]") {
  LayerIndexBuilder builder;
  constexpr uint32_t kMembers = 20000;
  constexpr uint32_t kOwners = 3000;
  for (uint32_t i = 0; i < kMembers; ++i) {
    NewMember m;
    m.path = "f" + std::to_string(i);
    m.mode = 0644 | (i % 2 == 0 ? 01000 : 0);
    m.uid = 100000 + i % kOwners;
    m.gid = i % kOwners % 7;
    m.mtime_sec = -static_cast<int64_t>(i);
    m.size = uint64_t{i} << 32;
    m.data_offset = i;
    if (i % 1000 == 0) m.mtime_nsec = i + 1;
    builder.Add(m);
  }
  auto index = builder.Finish("built");
  const IndexTables& t = index->tables();
  CHECK(t.members.size() == kMembers);
  CHECK(t.attrs.size() == kOwners);  // the attributes depend on i % kOwners only
  CHECK(t.extras.size() == kMembers / 1000);
  for (uint32_t i = 0; i < kMembers; ++i) {
    TarMember m = index->member(i);
    REQUIRE(m.path == "f" + std::to_string(i));
    REQUIRE(m.mode == (0644 | (i % 2 == 0 ? 01000u : 0u)));
    REQUIRE(m.uid == 100000 + i % kOwners);
    REQUIRE(m.gid == i % kOwners % 7);
    REQUIRE(m.mtime_sec == -static_cast<int64_t>(i));
    REQUIRE(m.mtime_nsec == (i % 1000 == 0 ? i + 1 : 0));
    REQUIRE(m.size == uint64_t{i} << 32);
    REQUIRE(m.data_offset == i);
    REQUIRE(index->type(i) == MemberType::kRegular);
  }
}

TEST_CASE("forged attribute and extra records and indexes are refused", "[index-file]") {
  TempDir dir;
  Written w = IndexAndWrite(dir, Compression::kGzip, 1 << 20);
  REQUIRE(Refusal(dir, w, w.bytes).empty());
  const IndexTables& t = w.index->tables();
  uint32_t plain = 0;
  uint32_t dir_member = 0;
  uint32_t first_extra = kNoExtra;
  uint32_t second_extra = kNoExtra;
  uint32_t regular_with_extra = kNoExtra;
  uint32_t symlink = kNoExtra;
  uint32_t sparse_member = kNoExtra;
  for (uint32_t i = 0; i < t.members.size(); ++i) {
    TarMember m = w.index->member(i);
    uint32_t extra = t.members[i].extra_index;
    if (m.type == MemberType::kSymlink && extra != kNoExtra) symlink = i;
    if (!m.sparse.empty()) sparse_member = i;
    if (extra == kNoExtra && m.type == MemberType::kRegular && m.size > 0) plain = i;
    if (m.type == MemberType::kDirectory) dir_member = i;
    if (extra != kNoExtra && first_extra == kNoExtra) {
      first_extra = i;
    } else if (extra != kNoExtra && second_extra == kNoExtra) {
      second_extra = i;
    }
    if (extra != kNoExtra && m.type == MemberType::kRegular && m.xattrs.empty()) {
      regular_with_extra = i;
    }
  }
  REQUIRE(plain > 0);
  REQUIRE(second_extra != kNoExtra);
  REQUIRE(regular_with_extra != kNoExtra);
  REQUIRE(symlink != kNoExtra);
  REQUIRE(sparse_member != kNoExtra);
  REQUIRE(t.xattrs.size() > 0);
  REQUIRE(t.sparse.size() > 0);
  auto at = [](uint32_t member, size_t field) { return uint64_t{member} * 40 + field; };
  auto attr_of = [&](uint32_t member, size_t field) {
    return uint64_t{t.members[member].attr_index} * 20 + field;
  };
  auto extra_of = [&](uint32_t member, size_t field) {
    return uint64_t{t.members[member].extra_index} * 32 + field;
  };
  auto attrs = static_cast<uint32_t>(t.attrs.size());
  auto extras = static_cast<uint32_t>(t.extras.size());
  uint32_t first_index = t.members[first_extra].extra_index;
  std::string swapped = Forge(w.bytes, "MEMB", at(first_extra, 36), first_index + 1);
  swapped = Forge(swapped, "MEMB", at(second_extra, 36), first_index);
  std::vector<std::pair<std::string, std::string>> forgeries = {
      {"attribute index past ATTR", Forge(w.bytes, "MEMB", at(1, 32), attrs)},
      {"attribute index 0xffffffff", Forge(w.bytes, "MEMB", at(1, 32), uint32_t(0xffffffff))},
      {"extra index past EXTR", Forge(w.bytes, "MEMB", at(second_extra, 36), extras)},
      {"extra index on a plain member", Forge(w.bytes, "MEMB", at(plain, 36), uint32_t(0))},
      {"extra index skipping a record", Forge(w.bytes, "MEMB", at(first_extra, 36), 1u)},
      {"extra index dropped", Forge(w.bytes, "MEMB", at(regular_with_extra, 36), kNoExtra)},
      {"extra indexes swapped", swapped},
      {"ATTR reserved byte", Forge(w.bytes, "ATTR", attr_of(1, 3), uint8_t(1))},
      {"ATTR type past fifo", Forge(w.bytes, "ATTR", attr_of(plain, 2), uint8_t(7))},
      {"ATTR mode with file type bits",
       Forge(w.bytes, "ATTR", attr_of(plain, 0), uint16_t(0100644))},
      {"a directory made a hardlink", Forge(w.bytes, "ATTR", attr_of(dir_member, 2), uint8_t(3))},
      {"a file made a directory", Forge(w.bytes, "ATTR", attr_of(plain, 2), uint8_t(1))},
      {"device minor on a directory", Forge(w.bytes, "ATTR", attr_of(dir_member, 16), 1u)},
      {"EXTR unknown flag", Forge(w.bytes, "EXTR", extra_of(first_extra, 28), 2u)},
      {"EXTR sparse flag on a symlink", Forge(w.bytes, "EXTR", extra_of(symlink, 28), 1u)},
      {"EXTR sparse runs without the sparse flag",
       Forge(w.bytes, "EXTR", extra_of(sparse_member, 28), 0u)},
      {"EXTR nanoseconds", Forge(w.bytes, "EXTR", extra_of(first_extra, 8), 1000000000u)},
      {"EXTR link past STRS", Forge(w.bytes, "EXTR", extra_of(first_extra, 0),
                                    static_cast<uint32_t>(t.strings.size() + 1))},
      {"EXTR link on a file", Forge(w.bytes, "EXTR", extra_of(regular_with_extra, 4), 3u)},
      {"EXTR xattrs out of order", Forge(w.bytes, "EXTR", extra_of(first_extra, 12), 1u)},
      {"EXTR sparse runs out of order", Forge(w.bytes, "EXTR", extra_of(first_extra, 20), 1u)},
      {"EXTR xattr count past XATR",
       Forge(w.bytes, "EXTR", extra_of(first_extra, 16), uint32_t(0xffffffff))},
      {"EXTR sparse count 0xffffffff",
       Forge(w.bytes, "EXTR", extra_of(first_extra, 24), uint32_t(0xffffffff))},
  };
  for (const auto& [what, bytes] : forgeries) {
    INFO(what);
    REQUIRE(bytes != w.bytes);
    std::string why = Refusal(dir, w, bytes);
    INFO(why);
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("a cached index with a forged attribute or extra index is rebuilt", "[index-file]") {
  TempDir dir;
  std::string image = dir / "image";
  std::string cache = dir / "cache";
  // Without the 1 TiB sparse file, which rendering the tree would read whole.
  std::vector<TarEntry> entries = RareFieldEntries();
  std::erase_if(entries, [](const TarEntry& e) { return e.path == "var/huge.img"; });
  testing::WriteOneLayerImage(image, entries, "oci-dir", Compression::kGzip);
  Opened cold = OpenWithCache(image, cache);
  REQUIRE(cold.indexed == 1);
  auto files = testing::FilesEnding(cache, ".idx");
  REQUIRE(files.size() == 1);
  std::string path = cache + "/" + files[0];
  std::string good = testing::ReadFileBytes(path);
  for (auto [section, offset] : {std::pair<const char*, uint64_t>{"MEMB", 40 * 3 + 32},
                                 {"MEMB", 40 * 3 + 36},
                                 {"ATTR", 0}}) {
    INFO(section << " " << offset);
    char id[5] = {section[0], section[1], section[2], section[3], '\0'};
    testing::WriteFileBytes(path, Forge(good, id, offset, uint32_t(0x7fffffff)));
    Opened forged = OpenWithCache(image, cache);
    CHECK(forged.from_cache == 0);
    CHECK(testing::CountContaining(forged.warnings, "is unusable") == 1);
    CHECK(forged.tree == cold.tree);
    Opened warm = OpenWithCache(image, cache);
    CHECK(warm.from_cache == 1);
    CHECK(warm.tree == cold.tree);
  }
}

}  // namespace imgmount
