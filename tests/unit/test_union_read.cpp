// Tests of the frozen union tree: content reads (plain and sparse), SeekData, StoredBytes,
// deterministic inode ids, malformed data, and the build time of a large tree.
#include <catch2/catch.hpp>

#include "index/union/union_builder.h"
#include "layers/base/error.h"
#include "test_union_support.h"

namespace imgmount::testing {
namespace {

std::span<std::byte> Bytes(std::string& s) {
  return std::as_writable_bytes(std::span(s));
}

TEST_CASE("union read: plain files in every chunk size", "[union]") {
  auto layer = LayerMaker().File("pre", "XXXX").File("f", "hello, world").File("empty", "").Make();
  auto tree = BuildUnion({layer}).tree;
  for (size_t chunk : {1, 3, 7, 4096}) {
    CHECK(ReadFile(*tree, "f", chunk) == "hello, world");
  }
  uint32_t f = *tree->Resolve("f");
  std::string buf(5, '?');
  CHECK(tree->Read(f, 10, Bytes(buf)) == 2);
  CHECK(buf.substr(0, 2) == "ld");
  CHECK(tree->Read(f, 12, Bytes(buf)) == 0);
  CHECK(tree->Read(f, 1000, Bytes(buf)) == 0);
  CHECK(ReadFile(*tree, "empty") == "");
  CHECK(tree->StoredBytes(f) == 12);
  CHECK(tree->SeekData(f, 0, true) == 0u);
  CHECK(tree->SeekData(f, 5, true) == 5u);
  CHECK(tree->SeekData(f, 0, false) == 12u);
  CHECK_FALSE(tree->SeekData(f, 12, true));
  CHECK_FALSE(tree->SeekData(f, 12, false));
}

TEST_CASE("union read: sparse files read holes as zeros", "[union]") {
  auto layer = LayerMaker()
                   .File("pre", "XXXX")
                   .Sparse("s", 20, {{2, "ab"}, {10, "cdef"}, {20, ""}})
                   .Sparse("tail", 8, {{4, "wxyz"}})
                   .Sparse("adjacent", 6, {{0, "ab"}, {2, "cd"}})
                   .Make();
  auto tree = BuildUnion({layer}).tree;
  const std::string s_content =
      std::string(2, '\0') + "ab" + std::string(6, '\0') + "cdef" + std::string(6, '\0');
  for (size_t chunk : {1, 3, 7, 4096}) {
    CHECK(ReadFile(*tree, "s", chunk) == s_content);
  }
  CHECK(ReadFile(*tree, "tail") == std::string(4, '\0') + "wxyz");
  CHECK(ReadFile(*tree, "adjacent") == std::string("abcd") + std::string(2, '\0'));

  uint32_t s = *tree->Resolve("s");
  CHECK(tree->inode(s).size == 20);
  CHECK(tree->StoredBytes(s) == 6);
  CHECK(tree->SeekData(s, 0, true) == 2u);
  CHECK(tree->SeekData(s, 2, true) == 2u);
  CHECK(tree->SeekData(s, 3, true) == 3u);
  CHECK(tree->SeekData(s, 4, true) == 10u);
  CHECK(tree->SeekData(s, 13, true) == 13u);
  CHECK_FALSE(tree->SeekData(s, 14, true));
  CHECK_FALSE(tree->SeekData(s, 19, true));
  CHECK_FALSE(tree->SeekData(s, 20, true));
  CHECK(tree->SeekData(s, 0, false) == 0u);
  CHECK(tree->SeekData(s, 2, false) == 4u);
  CHECK(tree->SeekData(s, 3, false) == 4u);
  CHECK(tree->SeekData(s, 4, false) == 4u);
  CHECK(tree->SeekData(s, 10, false) == 14u);
  CHECK(tree->SeekData(s, 19, false) == 19u);
  CHECK_FALSE(tree->SeekData(s, 20, false));

  uint32_t tail = *tree->Resolve("tail");
  CHECK(tree->SeekData(tail, 0, true) == 4u);
  CHECK(tree->SeekData(tail, 4, false) == 8u);
  CHECK(tree->StoredBytes(tail) == 4);
  uint32_t adjacent = *tree->Resolve("adjacent");
  CHECK(tree->SeekData(adjacent, 0, false) == 4u);
  CHECK(tree->SeekData(adjacent, 4, true) == std::nullopt);
}

TEST_CASE("union read: bad data fails the file with EIO, not the tree", "[union]") {
  NewMember truncated;
  truncated.path = "truncated";
  truncated.size = 10;
  truncated.data_offset = 10;  // the stream holds 14 bytes: only 4 of the 10 are there
  auto layer = LayerMaker("bad")
                   .Sparse("overlap", 10, {{0, "abcd"}, {2, "ef"}})
                   .Sparse("beyond", 4, {{2, "abcd"}})
                   .Raw(truncated)
                   .File("good", "good")
                   .Make();
  auto tree = BuildUnion({layer}).tree;
  std::string buf(16, '\0');
  for (const char* path : {"overlap", "beyond", "truncated"}) {
    INFO(path);
    uint32_t id = *tree->Resolve(path);
    try {
      tree->Read(id, 0, Bytes(buf));
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.errno_value() == EIO);
      CHECK(std::string(e.what()).find(std::string("bad: /") + path) != std::string::npos);
    }
  }
  CHECK(tree->StoredBytes(*tree->Resolve("overlap")) == 0);
  CHECK_THROWS_AS(tree->SeekData(*tree->Resolve("beyond"), 0, true), Error);
  CHECK(ReadFile(*tree, "good") == "good");
}

TEST_CASE("union read: only regular files can be read", "[union]") {
  auto layer = LayerMaker().Dir("d").Symlink("s", "d").Make();
  auto tree = BuildUnion({layer}).tree;
  std::string buf(4, '\0');
  try {
    tree->Read(*tree->Resolve("d"), 0, Bytes(buf));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.errno_value() == EISDIR);
  }
  CHECK_THROWS_AS(tree->Read(*tree->Resolve("s"), 0, Bytes(buf)), Error);
  CHECK_THROWS_AS(tree->Read(99, 0, Bytes(buf)), Error);
  CHECK(tree->StoredBytes(*tree->Resolve("s")) == 0);
  CHECK_FALSE(tree->member(UnionTree::kRoot).has_value());
  CHECK(tree->member(*tree->Resolve("s"))->link_target == "d");
}

TEST_CASE("union ids: assigned depth first in name order, stable across builds", "[union]") {
  auto scrambled = LayerMaker()
                       .File("c/d/e", "e")
                       .File("a/y", "y")
                       .File("b", "b")
                       .Hardlink("c/z", "b")
                       .File("a/x", "x")
                       .Make();
  auto ordered = LayerMaker()
                     .Dir("a")
                     .File("a/x", "x")
                     .File("a/y", "y")
                     .File("b", "b")
                     .Dir("c")
                     .Dir("c/d")
                     .File("c/d/e", "e")
                     .Hardlink("c/z", "b")
                     .Make();
  for (const auto& layer : {scrambled, ordered}) {
    auto tree = BuildUnion({layer}).tree;
    REQUIRE(tree->inode_count() == 8);
    CHECK(tree->Resolve("a") == 1u);
    CHECK(tree->Resolve("b") == 2u);
    CHECK(tree->Resolve("c") == 3u);
    CHECK(tree->Resolve("a/x") == 4u);
    CHECK(tree->Resolve("a/y") == 5u);
    CHECK(tree->Resolve("c/d") == 6u);
    CHECK(tree->Resolve("c/z") == 2u);
    CHECK(tree->Resolve("c/d/e") == 7u);
    CHECK(tree->inode(6).parent == 3u);
    CHECK(tree->inode(UnionTree::kRoot).first_child == 0u);
    CHECK(tree->inode(1).first_child == 3u);
    CHECK(tree->inode(3).first_child == 5u);
    CHECK(tree->inode(6).first_child == 7u);
  }
  auto first = BuildUnion({scrambled, ordered}).tree;
  auto second = BuildUnion({scrambled, ordered}).tree;
  REQUIRE(first->inode_count() == second->inode_count());
  for (uint32_t id = 0; id < first->inode_count(); ++id) {
    CHECK(first->inode(id).layer == second->inode(id).layer);
    CHECK(first->inode(id).member == second->inode(id).member);
    CHECK(first->inode(id).first_child == second->inode(id).first_child);
  }
}

TEST_CASE("union: deep paths and a build without a warning sink", "[union]") {
  std::string path;
  for (int i = 0; i < 20000; ++i) path += "d/";
  path += "f";
  auto layer = LayerMaker().File(path, "deep").File(".wh.", "").Make();
  auto tree = BuildUnionTree({layer});
  REQUIRE(tree->Resolve(path));
  CHECK(tree->inode_count() == 20002);
  CHECK(tree->inode(*tree->Resolve(path)).size == 4);
}

TEST_CASE("union: 200k entries with whiteouts and hardlinks", "[union]") {
  LayerMaker base("base");
  LayerMaker upper("upper");
  for (int d = 0; d < 1000; ++d) {
    std::string dir = "usr/share/dir" + std::to_string(d);
    base.Dir(dir);
    for (int f = 0; f < 200; ++f) base.File(dir + "/file" + std::to_string(f), "");
    upper.File(dir + "/.wh.file7", "");
    upper.Hardlink(dir + "/link", dir + "/file8");
  }
  std::vector<std::shared_ptr<const LayerIndex>> layers = {base.Make(), upper.Make()};
  auto tree = BuildUnionTree(layers);
  CHECK(tree->inode_count() == 1 + 2 + 1000 + 1000 * 199);
  auto link = tree->Resolve("usr/share/dir999/link");
  auto target = tree->Resolve("usr/share/dir999/file8");
  REQUIRE(link);
  CHECK(link == target);
  CHECK(tree->inode(*target).nlink == 2);
  CHECK_FALSE(tree->Resolve("usr/share/dir999/file7"));
}

}  // namespace
}  // namespace imgmount::testing
