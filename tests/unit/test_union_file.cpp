// The union cache file (index/cache/union_file.h): a round trip keeps every table of a tree
// with every kind of entry, and every class of damage is refused with a reason, never served.
// (Every golden union test round-trips its tree too: BuildUnion in test_union_support.cpp.)
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "index/cache/union_cache.h"
#include "index/cache/union_file.h"
#include "index/union/union_builder.h"
#include "layers/base/section_file.h"
#include "test_index_cache_support.h"
#include "test_union_support.h"

namespace imgmount::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A tree with directories (explicit and implied), hardlinks, symlinks, devices, a fifo, a sparse
// file, xattrs, whiteouts and an opaque directory, over three layers.
std::shared_ptr<const UnionTree> RichTree() {
  NewMember with_xattr;
  with_xattr.path = "etc/caps";
  with_xattr.mode = 0755;
  with_xattr.xattrs = {{"security.capability", "cap"}, {"user.note", "x"}};
  auto base = LayerMaker("base")
                  .Dir("etc")
                  .File("etc/passwd", "root:x:0:0\n")
                  .Owner(0, 42)
                  .Mtime(1700000000, 123)
                  .File("bin/busybox", "bb", 04755)
                  .Hardlink("bin/sh", "bin/busybox")
                  .Symlink("lib", "usr/lib")
                  .Special("dev/null", MemberType::kCharDevice, 1, 3)
                  .Special("dev/sda", MemberType::kBlockDevice, 8, 0)
                  .Special("run/fifo", MemberType::kFifo)
                  .Dir("opt/old")
                  .File("opt/old/a", "a")
                  .Raw(with_xattr)
                  .Make();
  auto middle = LayerMaker("middle")
                    .Sparse("var/sparse", 1 << 20, {{4096, "data"}, {65536, "more"}})
                    .File("etc/.wh.passwd", "")
                    .File("opt/.wh..wh..opq", "")
                    .File("opt/new", "n")
                    .Make();
  auto top = LayerMaker("top").Hardlink("usr/bin/sh", "bin/busybox").Dir("etc", 0700).Make();
  return BuildUnionTree({base, middle, top});
}

struct Fixture {
  TempDir dir;
  std::shared_ptr<const UnionTree> tree = RichTree();
  std::vector<std::string> stems = TestStems(3);
  std::string chain = UnionChainId(stems);
  std::string path = dir / "union.idx";

  Fixture() {
    std::string why;
    REQUIRE(WriteUnionFile(path, *tree, chain, stems, {"a warning"}, &why));
  }
  // Why the file at `path` is refused for the fixture's layers ("" if it is accepted).
  std::string Refusal() const { return Refusal(chain, stems, tree->layers()); }
  std::string Refusal(const std::string& chain_id, const std::vector<std::string>& layer_stems,
                      std::vector<std::shared_ptr<const LayerIndex>> layers) const {
    std::string why;
    auto loaded = ReadUnionFile(path, chain_id, layer_stems, std::move(layers), &why);
    if (loaded) return "";
    return why.empty() ? "(no reason)" : why;
  }
};

// The offset of section `id` in section file bytes.
size_t SectionOffset(const std::string& bytes, const char (&id)[5]) {
  uint32_t count = 0;
  std::memcpy(&count, bytes.data() + 24, 4);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t got = 0;
    uint64_t offset = 0;
    std::memcpy(&got, bytes.data() + 32 + 24 * i, 4);
    std::memcpy(&offset, bytes.data() + 32 + 24 * i + 8, 8);
    if (got == SectionId(id)) return offset;
  }
  FAIL("no section " << id);
  return 0;
}

// Overwrites `size` bytes at `at` with `value` and puts the CRC right again, so that only the
// checks of the tables themselves can refuse the file.
template <class T>
void Patch(const std::string& path, size_t at, T value) {
  std::string bytes = Slurp(path);
  std::memcpy(bytes.data() + at, &value, sizeof value);
  uint32_t crc = Crc32(0, std::as_bytes(std::span(bytes.data() + 32, bytes.size() - 32)));
  std::memcpy(bytes.data() + 28, &crc, 4);
  Spit(path, bytes);
}

TEST_CASE("union file: a round trip keeps every table, name and number", "[union][union-file]") {
  Fixture f;
  std::string why;
  auto loaded = ReadUnionFile(f.path, f.chain, f.stems, f.tree->layers(), &why);
  REQUIRE(loaded);
  CHECK(why.empty());
  CHECK(loaded->warnings == std::vector<std::string>{"a warning"});
  CHECK(Render(*loaded->tree) == Render(*f.tree));
  CHECK(CheckInvariants(*loaded->tree).empty());
  RoundTrip(*f.tree);  // tables byte for byte, every inode number
  for (const char* path : {"bin/sh", "usr/bin/sh", "var/sparse", "dev/null", "etc/caps"}) {
    auto a = f.tree->Resolve(path);
    auto b = loaded->tree->Resolve(path);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(f.tree->inode(*a).ino == loaded->tree->inode(*b).ino);
    CHECK(f.tree->inode(*a).nlink == loaded->tree->inode(*b).nlink);
  }
  CHECK(loaded->tree->inode(*loaded->tree->Resolve("bin/sh")).nlink == 3);
  CHECK(ReadFile(*loaded->tree, "var/sparse").size() == 1 << 20);
  auto caps = loaded->tree->member(*loaded->tree->Resolve("etc/caps"));
  REQUIRE(caps);
  CHECK(caps->xattrs.size() == 2);
  CHECK(!loaded->tree->Resolve("etc/passwd"));
  CHECK(!loaded->tree->Resolve("opt/old"));
  auto info = ReadUnionFileInfo(f.path, &why);
  REQUIRE(info);
  CHECK(info->chain_id == f.chain);
  CHECK(info->layer_stems == f.stems);
  CHECK(info->inodes == f.tree->inode_count());
}

TEST_CASE("union file: damage of every class is refused", "[union][union-file]") {
  Fixture f;
  std::string bytes = Slurp(f.path);
  REQUIRE(f.Refusal().empty());
  size_t inodes = SectionOffset(bytes, "INOD");
  size_t dirents = SectionOffset(bytes, "DENT");

  SECTION("missing: no reason, no tree") {
    ::unlink(f.path.c_str());
    std::string why = "x";
    CHECK(!ReadUnionFile(f.path, f.chain, f.stems, f.tree->layers(), &why));
    CHECK(why.empty());
  }
  SECTION("truncated") {
    Spit(f.path, bytes.substr(0, bytes.size() - 5));
    CHECK_THAT(f.Refusal(), Catch::Contains("truncated"));
    Spit(f.path, bytes.substr(0, 20));
    CHECK_THAT(f.Refusal(), Catch::Contains("truncated"));
  }
  SECTION("bad checksum") {
    bytes[dirents + 1] ^= 0x40;
    Spit(f.path, bytes);
    CHECK_THAT(f.Refusal(), Catch::Contains("checksum"));
  }
  SECTION("wrong version") {
    Patch<uint32_t>(f.path, 8, 2);
    CHECK_THAT(f.Refusal(), Catch::Contains("version 2"));
  }
  SECTION("a layer index file is no union file") {
    bytes.replace(0, 8, "IMGMLAYR");
    Spit(f.path, bytes);
    CHECK_THAT(f.Refusal(), Catch::Contains("not an imgmount index of this kind"));
  }
  SECTION("a child range out of range") {
    Patch<uint32_t>(f.path, inodes + offsetof(UnionInode, first_child), 1u << 30);
    CHECK_THAT(f.Refusal(), Catch::Contains("children out of range"));
  }
  SECTION("a child count out of range") {
    Patch<uint32_t>(f.path, inodes + offsetof(UnionInode, child_count), 0xffffffffu);
    CHECK_THAT(f.Refusal(), Catch::Contains("children out of range"));
  }
  SECTION("a name offset out of range") {
    Patch<uint32_t>(f.path, dirents + offsetof(UnionDirent, name_offset), 0xfffffff0u);
    CHECK_THAT(f.Refusal(), Catch::Contains("name out of range"));
  }
  SECTION("a name length out of range") {
    Patch<uint32_t>(f.path, dirents + offsetof(UnionDirent, name_length), 1u << 20);
    CHECK_THAT(f.Refusal(), Catch::Contains("name out of range"));
  }
  SECTION("an entry's inode out of range") {
    Patch<uint32_t>(f.path, dirents + offsetof(UnionDirent, inode), 1u << 20);
    CHECK_THAT(f.Refusal(), Catch::Contains("inode out of range"));
  }
  SECTION("an entry naming the root: a cycle") {
    Patch<uint32_t>(f.path, dirents + offsetof(UnionDirent, inode), 0);
    CHECK_THAT(f.Refusal(), Catch::Contains("inode out of range"));
  }
  SECTION("an inode's member out of range") {
    size_t second = inodes + sizeof(UnionInode);  // the first entry below the root
    Patch<uint32_t>(f.path, second + offsetof(UnionInode, member), 1000);
    CHECK(!f.Refusal().empty());
  }
  SECTION("an inode of a bad type") {
    Patch<uint8_t>(f.path, inodes + sizeof(UnionInode) + offsetof(UnionInode, type), 3);
    CHECK_THAT(f.Refusal(), Catch::Contains("bad type"));
  }
  SECTION("a wrong link count") {
    Patch<uint32_t>(f.path, inodes + offsetof(UnionInode, nlink), 7);
    CHECK_THAT(f.Refusal(), Catch::Contains("wrong link count"));
  }
  SECTION("names out of order") {
    // Swap the names of the root's first two entries.
    std::string loaded = Slurp(f.path);
    UnionDirent first;
    UnionDirent second;
    std::memcpy(&first, loaded.data() + dirents, sizeof first);
    std::memcpy(&second, loaded.data() + dirents + sizeof first, sizeof second);
    std::swap(first.name_offset, second.name_offset);
    std::swap(first.name_length, second.name_length);
    Patch(f.path, dirents, first);
    Patch(f.path, dirents + sizeof first, second);
    CHECK_THAT(f.Refusal(), Catch::Contains("out of order"));
  }
  SECTION("the chain key of other layers") {
    std::vector<std::string> other = TestStems(4);
    other.erase(other.begin());
    CHECK_THAT(f.Refusal(UnionChainId(other), f.stems, f.tree->layers()),
               Catch::Contains("another chain"));
    CHECK_THAT(f.Refusal(f.chain, other, f.tree->layers()), Catch::Contains("other layers"));
  }
  SECTION("the same stems over other layer tables") {
    auto layers = f.tree->layers();
    layers[1] = LayerMaker("middle").File("opt/new", "n").Make();
    CHECK_THAT(f.Refusal(f.chain, f.stems, layers), Catch::Contains("another index of layer 2"));
  }
  SECTION("fewer layers (an --upto cut)") {
    auto layers = f.tree->layers();
    layers.pop_back();
    std::vector<std::string> stems(f.stems.begin(), f.stems.end() - 1);
    CHECK(UnionChainId(stems) != f.chain);
    CHECK(!f.Refusal(UnionChainId(stems), stems, layers).empty());
  }
}

TEST_CASE("union files: opens at once keep one file and the next open loads it",
          "[union-file][index-cache][concurrency]") {
  TempDir dir;
  std::string image = dir / "image";
  std::string cache = dir / "cache";
  WriteSample(image, "oci-dir", Compression::kGzip);
  std::string expected = OpenWithCache(image, "").tree;
  OpenWithCache(image, cache);  // the layer indexes, and a first union file
  for (const std::string& name : FilesEnding(cache, ".union"))
    ::unlink((cache + "/" + name).c_str());
  std::vector<Opened> opened(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < opened.size(); ++i) {
    threads.emplace_back([&, i] { opened[i] = OpenWithCache(image, cache); });
  }
  for (auto& t : threads) t.join();
  for (const Opened& o : opened) {
    CHECK(o.tree == expected);
    CHECK(o.warnings.empty());
  }
  CHECK(FilesEnding(cache, ".union").size() == 1);
  for (const std::string& name : FilesEnding(cache, ""))
    CHECK(name.find(".tmp.") == std::string::npos);
  Opened warm = OpenWithCache(image, cache);
  CHECK(warm.tree == expected);
  CHECK(CountContaining(warm.notes, "union tree: loaded from the cache") == 1);
}

TEST_CASE("union chain ids depend on every layer and their order", "[union][union-file]") {
  std::vector<std::string> stems = TestStems(3);
  std::string chain = UnionChainId(stems);
  CHECK(chain.starts_with("sha256:"));
  std::vector<std::string> other_top = stems;
  other_top.back() = TestStems(4).back();
  CHECK(UnionChainId(other_top) != chain);
  std::vector<std::string> swapped = {stems[1], stems[0], stems[2]};
  CHECK(UnionChainId(swapped) != chain);
  CHECK(UnionChainId({stems[0], stems[1]}) != chain);
  CHECK(UnionChainId(stems) == chain);
}

}  // namespace
TEST_CASE("union file: stems and chain ids of forms the cache never writes are refused",
          "[union][union-file]") {
  // `cache ls` prints them and makes paths of layer index files from the stems.
  TempDir dir;
  auto tree = RichTree();
  std::string path = dir / "union.idx";
  struct Case {
    const char* what;
    size_t stem;
    std::string value;
  };
  for (const Case& c : {Case{"a stem that climbs out of the cache", 1, "../../etc/passwd"},
                        Case{"a stem of no cache form", 2, "sha256-xyz"},
                        Case{"a chain id that is no digest", 3, "\x1b]0;title\x07"}}) {
    INFO(c.what);
    std::vector<std::string> stems = TestStems(3);
    if (c.stem < stems.size()) stems[c.stem] = c.value;
    std::string chain = c.stem < stems.size() ? UnionChainId(stems) : c.value;
    std::string why;
    REQUIRE(WriteUnionFile(path, *tree, chain, stems, {}, &why));
    CHECK_FALSE(ReadUnionFileInfo(path, &why));
    CHECK_THAT(why, Catch::Contains("malformed"));
    CHECK_FALSE(ReadUnionFile(path, chain, stems, tree->layers(), &why));
  }
}

}  // namespace imgmount::testing
