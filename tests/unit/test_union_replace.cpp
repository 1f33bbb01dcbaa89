// Golden tests of the union: replacement, merging, duplicates, implied parents, the root, the
// same layer twice, path forms and refused names (union rules 3, 8, 9, 10 of docs/ARCHITECTURE.md).
#include <catch2/catch.hpp>

#include "test_union_support.h"

namespace imgmount::testing {
namespace {

TEST_CASE("union: a directory replaces a lower symlink, never following it", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("usr")
                  .Dir("usr/lib")
                  .File("usr/lib/libc", "libc")
                  .Symlink("lib", "usr/lib")
                  .Make();
  SECTION("implied by a child") {
    auto upper = LayerMaker().File("lib/x", "x").Mtime(42).Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                         "/ d 0755 0:0 n4",
                                                         "lib d 0755 0:0 n2 @42",
                                                         "lib/x - 0644 0:0 n1 @42 \"x\"",
                                                         "usr d 0755 0:0 n3",
                                                         "usr/lib d 0755 0:0 n2",
                                                         "usr/lib/libc - 0644 0:0 n1 \"libc\"",
                                                     }));
  }
  SECTION("given as an entry") {
    auto upper = LayerMaker().Dir("lib", 0700).File("lib/x", "x").Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                         "/ d 0755 0:0 n4",
                                                         "lib d 0700 0:0 n2",
                                                         "lib/x - 0644 0:0 n1 \"x\"",
                                                         "usr d 0755 0:0 n3",
                                                         "usr/lib d 0755 0:0 n2",
                                                         "usr/lib/libc - 0644 0:0 n1 \"libc\"",
                                                     }));
  }
}

TEST_CASE("union: a non-directory replaces a whole lower subtree", "[union]") {
  auto base = LayerMaker("base").Dir("d").File("d/a", "a").Dir("d/sub").File("d/sub/b", "b").Make();
  auto symlink = LayerMaker().Symlink("d", "elsewhere").Make();
  CHECK(Render(*BuildUnion({base, symlink}).tree) == Lines({
                                                         "/ d 0755 0:0 n2",
                                                         "d l 0777 0:0 n1 -> elsewhere",
                                                     }));
  auto fifo = LayerMaker().Special("d", MemberType::kFifo).Make();
  CHECK(Render(*BuildUnion({base, fifo}).tree) == Lines({
                                                      "/ d 0755 0:0 n2",
                                                      "d p 0666 0:0 n1",
                                                  }));
}

TEST_CASE("union: directory over directory merges and takes the upper attributes", "[union]") {
  auto base = LayerMaker("base").Dir("d").Mtime(100).File("d/a", "a").Make();
  auto upper = LayerMaker().Dir("d", 0700).Owner(1000, 1001).Mtime(200, 5).File("d/b", "b").Make();
  CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                       "/ d 0755 0:0 n3",
                                                       "d d 0700 1000:1001 n2 @200.5",
                                                       "d/a - 0644 0:0 n1 \"a\"",
                                                       "d/b - 0644 0:0 n1 \"b\"",
                                                   }));
}

TEST_CASE("union: within one layer the last duplicate wins, whatever the types", "[union]") {
  auto layer = LayerMaker()
                   .File("x", "1")
                   .File("x", "2")
                   .Dir("y")
                   .File("y/c", "c")
                   .Symlink("y", "target")
                   .Symlink("z", "target")
                   .Dir("z", 0711)
                   .File("w", "file")
                   .File("w/child", "child")
                   .Dir("v", 0700)
                   .File("v/keep", "keep")
                   .Dir("v", 0750)
                   .Make();
  CHECK(Render(*BuildUnion({layer}).tree) == Lines({
                                                 "/ d 0755 0:0 n5",
                                                 "v d 0750 0:0 n2",
                                                 "v/keep - 0644 0:0 n1 \"keep\"",
                                                 "w d 0755 0:0 n2",
                                                 "w/child - 0644 0:0 n1 \"child\"",
                                                 "x - 0644 0:0 n1 \"2\"",
                                                 "y l 0777 0:0 n1 -> target",
                                                 "z d 0711 0:0 n2",
                                             }));
}

TEST_CASE("union: missing parents are implied with the child's mtime", "[union]") {
  auto layer =
      LayerMaker().File("a/b/c", "c").Mtime(1234, 5).Dir("a", 0700).Owner(5, 6).Mtime(99).Make();
  CHECK(Render(*BuildUnion({layer}).tree) == Lines({
                                                 "/ d 0755 0:0 n3",
                                                 "a d 0700 5:6 n3 @99",
                                                 "a/b d 0755 0:0 n2 @1234.5",
                                                 "a/b/c - 0644 0:0 n1 @1234.5 \"c\"",
                                             }));
}

TEST_CASE("union: the root takes the topmost root entry's attributes", "[union]") {
  auto empty = LayerMaker().Make();
  CHECK(Render(*BuildUnion({empty}).tree) == Lines({"/ d 0755 0:0 n2"}));
  CHECK(Render(*BuildUnion({}).tree) == Lines({"/ d 0755 0:0 n2"}));
  auto l0 = LayerMaker().Dir("", 0700).Mtime(10).File("f", "f").Make();
  auto l1 = LayerMaker().Dir("", 0751).Owner(1, 2).Mtime(20).Make();
  auto l2 = LayerMaker("l2").File("", "not a dir").Make();
  BuiltUnion built = BuildUnion({l0, l1, l2});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0751 1:2 n2 @20",
                                   "f - 0644 0:0 n1 \"f\"",
                               }));
  REQUIRE(built.warnings.size() == 1);
  CHECK(HasWarning(built, "l2: /: ignored: the root entry is not a directory"));
}

TEST_CASE("union: the same layer twice applies twice", "[union]") {
  auto base = LayerMaker("base").File("b", "B").Dir("d").File("d/lower", "lower").Make();
  auto layer = LayerMaker("twice")
                   .File("a", "A")
                   .Hardlink("a2", "a")
                   .File(".wh.b", "")
                   .File("d/.wh..wh..opq", "")
                   .File("d/x", "x")
                   .Make();
  BuiltUnion built = BuildUnion({base, layer, layer});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n3",
                                   "a - 0644 0:0 n2 \"A\"",
                                   "a2 - 0644 0:0 n2 \"A\"",
                                   "d d 0755 0:0 n2",
                                   "d/x - 0644 0:0 n1 \"x\"",
                               }));
  CHECK(built.tree->Resolve("a") == built.tree->Resolve("a2"));
  CHECK(built.tree->inode(*built.tree->Resolve("a")).layer == 2);
  CHECK(built.warnings.empty());
}

TEST_CASE("union: devices, fifos and modes are kept", "[union]") {
  auto layer = LayerMaker()
                   .Dir("dev")
                   .Special("dev/null", MemberType::kCharDevice, 1, 3)
                   .Special("dev/sda", MemberType::kBlockDevice, 8, 0)
                   .Special("dev/pipe", MemberType::kFifo)
                   .File("bin/su", "su", 04755)
                   .Dir("tmp", 01777)
                   .Make();
  CHECK(Render(*BuildUnion({layer}).tree) == Lines({
                                                 "/ d 0755 0:0 n5",
                                                 "bin d 0755 0:0 n2",
                                                 "bin/su - 4755 0:0 n1 \"su\"",
                                                 "dev d 0755 0:0 n2",
                                                 "dev/null c 0666 0:0 n1 1,3",
                                                 "dev/pipe p 0666 0:0 n1",
                                                 "dev/sda b 0666 0:0 n1 8,0",
                                                 "tmp d 1777 0:0 n2",
                                             }));
}

TEST_CASE("union: names the kernel would refuse are skipped with a warning", "[union]") {
  std::string long_name(256, 'n');
  std::string max_name(255, 'm');
  auto layer = LayerMaker("odd")
                   .File("ok", "ok")
                   .File("d/" + long_name, "too long")
                   .File(max_name, "fits")
                   .File("a//b", "empty component")
                   .File("a/../b", "dot dot")
                   .File(std::string("nul\0name", 8), "nul")
                   .Make();
  BuiltUnion built = BuildUnion({layer});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n2",
                                   max_name + " - 0644 0:0 n1 \"fits\"",
                                   "ok - 0644 0:0 n1 \"ok\"",
                               }));
  CHECK(built.warnings.size() == 4);
  CHECK(HasWarning(built, "name longer than 255 bytes"));
  CHECK(HasWarning(built, "empty path component"));
  CHECK(HasWarning(built, "'.' or '..' path component"));
  CHECK(HasWarning(built, "name contains a NUL byte"));
}

TEST_CASE("union: Resolve accepts every form of a path", "[union]") {
  auto layer = LayerMaker().Dir("a").File("a/b", "b").Symlink("s", "a").Make();
  auto tree = BuildUnion({layer}).tree;
  auto b = tree->Resolve("a/b");
  REQUIRE(b);
  for (const char* form : {"/a/b", "a/b/", "./a/b", "/a//b/", "a/./b"}) {
    CHECK(tree->Resolve(form) == b);
  }
  CHECK(tree->Resolve("") == UnionTree::kRoot);
  CHECK(tree->Resolve("/") == UnionTree::kRoot);
  CHECK_FALSE(tree->Resolve("s/b"));  // symlinks are not followed
  CHECK_FALSE(tree->Resolve("a/b/c"));
  CHECK_FALSE(tree->Resolve("a/../a/b"));
  CHECK(tree->Lookup(*tree->Resolve("a"), "b") == b);
  CHECK_FALSE(tree->Lookup(*b, "x"));
  CHECK(tree->children(*b).empty());
}

}  // namespace
}  // namespace imgmount::testing
