// Golden tests of the union: hardlinks share an inode as of their own layer (union rule 5,
// docs/ARCHITECTURE.md).
#include <catch2/catch.hpp>

#include "test_union_support.h"

namespace imgmount::testing {
namespace {

TEST_CASE("union: a hardlink into a lower layer shares the lower inode", "[union]") {
  auto base = LayerMaker("base").Dir("bin").File("bin/busybox", "bb", 0755).Owner(3, 4).Make();
  auto upper = LayerMaker().Hardlink("bin/sh", "bin/busybox").Hardlink("sh", "bin/busybox").Make();
  BuiltUnion built = BuildUnion({base, upper});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n3",
                                   "bin d 0755 0:0 n2",
                                   "bin/busybox - 0755 3:4 n3 \"bb\"",
                                   "bin/sh - 0755 3:4 n3 \"bb\"",
                                   "sh - 0755 3:4 n3 \"bb\"",
                               }));
  CHECK(built.tree->Resolve("sh") == built.tree->Resolve("bin/busybox"));
  CHECK(built.tree->Resolve("bin/sh") == built.tree->Resolve("bin/busybox"));
  CHECK(built.warnings.empty());
}

TEST_CASE("union: a hardlink keeps its target's content as of its own layer", "[union]") {
  auto base = LayerMaker("base").File("f", "old").Make();
  auto link = LayerMaker("link").Hardlink("g", "f").Make();
  SECTION("target deleted later") {
    auto remove = LayerMaker().File(".wh.f", "").Make();
    CHECK(Render(*BuildUnion({base, link, remove}).tree) == Lines({
                                                                "/ d 0755 0:0 n2",
                                                                "g - 0644 0:0 n1 \"old\"",
                                                            }));
  }
  SECTION("target replaced later") {
    auto change = LayerMaker().File("f", "new").Make();
    CHECK(Render(*BuildUnion({base, link, change}).tree) == Lines({
                                                                "/ d 0755 0:0 n2",
                                                                "f - 0644 0:0 n1 \"new\"",
                                                                "g - 0644 0:0 n1 \"old\"",
                                                            }));
  }
  SECTION("target replaced later in the link's own layer") {
    auto same = LayerMaker().File("f", "one").Hardlink("g", "f").File("f", "two").Make();
    CHECK(Render(*BuildUnion({same}).tree) == Lines({
                                                  "/ d 0755 0:0 n2",
                                                  "f - 0644 0:0 n1 \"two\"",
                                                  "g - 0644 0:0 n1 \"one\"",
                                              }));
  }
  SECTION("unchanged target: nlink counts both names") {
    auto tree = BuildUnion({base, link}).tree;
    CHECK(Render(*tree) == Lines({
                               "/ d 0755 0:0 n2",
                               "f - 0644 0:0 n2 \"old\"",
                               "g - 0644 0:0 n2 \"old\"",
                           }));
  }
}

TEST_CASE("union: hardlinks to symlinks, devices and fifos", "[union]") {
  auto layer = LayerMaker()
                   .Symlink("s", "somewhere")
                   .Hardlink("s2", "s")
                   .Special("null", MemberType::kCharDevice, 1, 3)
                   .Hardlink("null2", "null")
                   .Special("fifo", MemberType::kFifo)
                   .Hardlink("fifo2", "fifo")
                   .Make();
  BuiltUnion built = BuildUnion({layer});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n2",
                                   "fifo p 0666 0:0 n2",
                                   "fifo2 p 0666 0:0 n2",
                                   "null c 0666 0:0 n2 1,3",
                                   "null2 c 0666 0:0 n2 1,3",
                                   "s l 0777 0:0 n2 -> somewhere",
                                   "s2 l 0777 0:0 n2 -> somewhere",
                               }));
  CHECK(built.tree->inode(*built.tree->Resolve("s2")).size == 9);
  CHECK(built.warnings.empty());
}

TEST_CASE("union: a hardlink to a later entry of its layer", "[union]") {
  SECTION("simple forward link") {
    auto layer = LayerMaker().Hardlink("h", "f").File("f", "F").Make();
    BuiltUnion built = BuildUnion({layer});
    CHECK(Render(*built.tree) == Lines({
                                     "/ d 0755 0:0 n2",
                                     "f - 0644 0:0 n2 \"F\"",
                                     "h - 0644 0:0 n2 \"F\"",
                                 }));
    CHECK(built.warnings.empty());
  }
  SECTION("chain of forward links, and a link to a pending link") {
    auto layer =
        LayerMaker().Hardlink("a", "b").Hardlink("b", "c").Hardlink("x", "a").File("c", "C").Make();
    BuiltUnion built = BuildUnion({layer});
    CHECK(Render(*built.tree) == Lines({
                                     "/ d 0755 0:0 n2",
                                     "a - 0644 0:0 n4 \"C\"",
                                     "b - 0644 0:0 n4 \"C\"",
                                     "c - 0644 0:0 n4 \"C\"",
                                     "x - 0644 0:0 n4 \"C\"",
                                 }));
    CHECK(built.warnings.empty());
  }
  SECTION("a later duplicate of the link's own path wins") {
    auto layer = LayerMaker().Hardlink("h", "f").File("h", "own").File("f", "F").Make();
    BuiltUnion built = BuildUnion({layer});
    CHECK(Render(*built.tree) == Lines({
                                     "/ d 0755 0:0 n2",
                                     "f - 0644 0:0 n1 \"F\"",
                                     "h - 0644 0:0 n1 \"own\"",
                                 }));
    CHECK(built.warnings.empty());
  }
}

TEST_CASE("union: bad hardlinks are dropped with a warning", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("d")
                  .File("h1", "lower h1")
                  .Dir("real")
                  .File("real/f", "F")
                  .Symlink("alias", "real")
                  .Make();
  auto upper = LayerMaker("upper")
                   .Hardlink("h1", "d")
                   .Hardlink("h2", "missing")
                   .Hardlink("h3", ".wh.x")
                   .Hardlink("h4", "alias/f")
                   .Hardlink("c1", "c2")
                   .Hardlink("c2", "c1")
                   .Hardlink("h5", "")
                   .Make();
  BuiltUnion built = BuildUnion({base, upper});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n4",
                                   "alias l 0777 0:0 n1 -> real",
                                   "d d 0755 0:0 n2",
                                   "real d 0755 0:0 n2",
                                   "real/f - 0644 0:0 n1 \"F\"",
                               }));
  CHECK(built.warnings.size() == 7);
  CHECK(HasWarning(built, "upper: /h1: hardlink to /d dropped: the target is a directory"));
  CHECK(HasWarning(built, "upper: /h2: hardlink to /missing dropped: the target does not exist"));
  CHECK(HasWarning(built, "upper: /h3: hardlink to /.wh.x dropped: the target is a whiteout"));
  CHECK(HasWarning(built, "upper: /h4: hardlink to /alias/f dropped: the target does not exist"));
  CHECK(HasWarning(built, "upper: /c1: hardlink to /c2 dropped: the hardlinks form a cycle"));
  CHECK(HasWarning(built, "upper: /c2: hardlink to /c1 dropped: the hardlinks form a cycle"));
  CHECK(HasWarning(built, "upper: /h5: hardlink to / dropped: the target is a directory"));
}

TEST_CASE("union: nlink follows the names that remain", "[union]") {
  auto base =
      LayerMaker("base").File("a", "data").Hardlink("b", "a").Dir("d").Hardlink("d/c", "a").Make();
  auto upper = LayerMaker().File("d/.wh.c", "").Hardlink("e", "b").Make();
  auto tree = BuildUnion({base, upper}).tree;
  CHECK(Render(*tree) == Lines({
                             "/ d 0755 0:0 n3",
                             "a - 0644 0:0 n3 \"data\"",
                             "b - 0644 0:0 n3 \"data\"",
                             "d d 0755 0:0 n2",
                             "e - 0644 0:0 n3 \"data\"",
                         }));
}

TEST_CASE("union: links into the AUFS .wh..wh.plnk directory share its hidden file", "[union]") {
  auto layer = LayerMaker()
                   .Dir(".wh..wh.plnk")
                   .File(".wh..wh.plnk/1234.56", "shared", 0755)
                   .Hardlink("usr/bin/a", ".wh..wh.plnk/1234.56")
                   .Hardlink("usr/bin/b", ".wh..wh.plnk/1234.56")
                   .Make();
  BuiltUnion built = BuildUnion({layer});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n3",
                                   "usr d 0755 0:0 n3",
                                   "usr/bin d 0755 0:0 n2",
                                   "usr/bin/a - 0755 0:0 n2 \"shared\"",
                                   "usr/bin/b - 0755 0:0 n2 \"shared\"",
                               }));
  CHECK(built.warnings.empty());
}

}  // namespace
}  // namespace imgmount::testing
