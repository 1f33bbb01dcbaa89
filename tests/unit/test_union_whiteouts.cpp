// Golden tests of the union: whiteouts, opaque markers and the marker grammar (union rules 1, 2,
// 4, 6, 7 of docs/ARCHITECTURE.md). Expected listings are written by hand from the rules.
#include <catch2/catch.hpp>

#include "test_union_support.h"

namespace imgmount::testing {
namespace {

TEST_CASE("union: OCI layer.md changeset example", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("")
                  .Dir("etc")
                  .File("etc/my-app-config", "config v1")
                  .Dir("bin")
                  .File("bin/my-app-binary", "binary v1", 0755)
                  .File("bin/my-app-tools", "tools v1", 0755)
                  .Make();
  auto change = LayerMaker("change")
                    .Dir("etc/my-app.d")
                    .File("etc/my-app.d/default.cfg", "default")
                    .File("bin/my-app-tools", "tools v2", 0755)
                    .File("etc/.wh.my-app-config", "")
                    .Make();
  BuiltUnion built = BuildUnion({base, change});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n4",
                                   "bin d 0755 0:0 n2",
                                   "bin/my-app-binary - 0755 0:0 n1 \"binary v1\"",
                                   "bin/my-app-tools - 0755 0:0 n1 \"tools v2\"",
                                   "etc d 0755 0:0 n3",
                                   "etc/my-app.d d 0755 0:0 n2",
                                   "etc/my-app.d/default.cfg - 0644 0:0 n1 \"default\"",
                               }));
  CHECK(built.warnings.empty());
}

TEST_CASE("union: OCI layer.md opaque example, marker before, after and ahead of its dir",
          "[union]") {
  auto base = LayerMaker("base").Dir("a").Dir("a/b").Dir("a/b/c").File("a/b/c/bar", "bar").Make();
  const std::string expected = Lines({
      "/ d 0755 0:0 n3",
      "a d 0755 0:0 n3",
      "a/b d 0755 0:0 n3",
      "a/b/c d 0755 0:0 n2",
      "a/b/c/foo - 0644 0:0 n1 \"foo\"",
  });
  SECTION("marker right after the directory (spec order)") {
    auto upper = LayerMaker()
                     .Dir("a")
                     .File("a/.wh..wh..opq", "")
                     .Dir("a/b")
                     .Dir("a/b/c")
                     .File("a/b/c/foo", "foo")
                     .Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == expected);
  }
  SECTION("marker after the directory's own children (GNU tar order)") {
    auto upper = LayerMaker()
                     .Dir("a")
                     .Dir("a/b")
                     .Dir("a/b/c")
                     .File("a/b/c/foo", "foo")
                     .File("a/.wh..wh..opq", "")
                     .Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == expected);
  }
  SECTION("marker before the directory's own entry (umoci order)") {
    auto upper = LayerMaker()
                     .File("a/.wh..wh..opq", "")
                     .Dir("a")
                     .Dir("a/b")
                     .Dir("a/b/c")
                     .File("a/b/c/foo", "foo")
                     .Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == expected);
  }
}

TEST_CASE("union: OCI opaque whiteout equals explicit whiteouts", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("etc")
                  .File("etc/my-app-config", "cfg")
                  .Dir("bin")
                  .File("bin/my-app-binary", "bin")
                  .File("bin/my-app-tools", "tools")
                  .Dir("bin/tools")
                  .File("bin/tools/my-app-tool-one", "one")
                  .Make();
  const std::string expected = Lines({
      "/ d 0755 0:0 n4",
      "bin d 0755 0:0 n2",
      "etc d 0755 0:0 n2",
      "etc/my-app-config - 0644 0:0 n1 \"cfg\"",
  });
  auto opaque = LayerMaker().Dir("bin").File("bin/.wh..wh..opq", "").Make();
  auto explicit_whiteouts = LayerMaker()
                                .Dir("bin")
                                .File("bin/.wh.my-app-binary", "")
                                .File("bin/.wh.my-app-tools", "")
                                .File("bin/.wh.tools", "")
                                .Make();
  CHECK(Render(*BuildUnion({base, opaque}).tree) == expected);
  CHECK(Render(*BuildUnion({base, explicit_whiteouts}).tree) == expected);
}

TEST_CASE("union: a whiteout spares the same layer's entry in either order", "[union]") {
  auto base = LayerMaker("base").File("x", "old").Dir("d").File("d/y", "old y").Make();
  const std::string expected = Lines({
      "/ d 0755 0:0 n3",
      "d d 0700 0:0 n2",
      "d/z - 0644 0:0 n1 \"z\"",
      "x - 0644 0:0 n1 \"new\"",
  });
  auto whiteout_first = LayerMaker()
                            .File(".wh.x", "")
                            .File("x", "new")
                            .File(".wh.d", "")
                            .Dir("d", 0700)
                            .File("d/z", "z")
                            .Make();
  auto whiteout_last = LayerMaker()
                           .File("x", "new")
                           .Dir("d", 0700)
                           .File("d/z", "z")
                           .File(".wh.x", "")
                           .File(".wh.d", "")
                           .Make();
  CHECK(Render(*BuildUnion({base, whiteout_first}).tree) == expected);
  CHECK(Render(*BuildUnion({base, whiteout_last}).tree) == expected);
}

TEST_CASE("union: an opaque marker keeps the siblings of its own layer", "[union]") {
  auto base = LayerMaker("base").Dir("d").File("d/old", "old").Dir("d/sub").Make();
  auto upper = LayerMaker().Dir("d").File("d/new", "new").File("d/.wh..wh..opq", "").Make();
  CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                       "/ d 0755 0:0 n3",
                                                       "d d 0755 0:0 n2",
                                                       "d/new - 0644 0:0 n1 \"new\"",
                                                   }));
}

TEST_CASE("union: whiteouts stored as hardlinks or linked mode-0 files are markers", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("a")
                  .File("a/f", "f")
                  .Dir("b")
                  .File("b/g", "g")
                  .File("b/h", "h")
                  .Dir("c")
                  .File("c/i", "i")
                  .Make();
  const std::string expected = Lines({
      "/ d 0755 0:0 n5",
      "a d 0755 0:0 n2",
      "b d 0755 0:0 n2",
      "b/h - 0644 0:0 n1 \"h\"",
      "c d 0755 0:0 n2",
  });
  SECTION("docker: the second whiteout is a hardlink of the first") {
    auto upper = LayerMaker()
                     .File("a/.wh.f", "", 0)
                     .Hardlink("b/.wh.g", "a/.wh.f")
                     .Hardlink("c/.wh..wh..opq", "a/.wh.f")
                     .Make();
    BuiltUnion built = BuildUnion({base, upper});
    CHECK(Render(*built.tree) == expected);
    CHECK(built.warnings.empty());
  }
  SECTION("buildah: mode-0 regular files carrying a link name") {
    LayerMaker maker;
    maker.File("a/.wh.f", "", 0);
    for (const char* path : {"b/.wh.g", "c/.wh..wh..opq"}) {
      NewMember m;
      m.path = path;
      m.type = MemberType::kRegular;
      m.mode = 0;
      m.link_target = "a/.wh.f";
      maker.Raw(m);
    }
    BuiltUnion built = BuildUnion({base, maker.Make()});
    CHECK(Render(*built.tree) == expected);
    CHECK(built.warnings.empty());
  }
}

TEST_CASE("union: deleted then re-created, nothing from below reappears", "[union]") {
  auto l0 = LayerMaker("l0")
                .Dir("d")
                .File("d/a", "a")
                .Dir("d/sub")
                .File("d/sub/b", "b")
                .File("f", "one")
                .Make();
  auto l1 = LayerMaker("l1").File(".wh.d", "").File(".wh.f", "").Make();
  auto l2 = LayerMaker("l2").Dir("d", 0750).File("d/c", "c").Make();
  auto l3 = LayerMaker("l3").File("f", "three").Make();
  CHECK(Render(*BuildUnion({l0, l1}).tree) == Lines({"/ d 0755 0:0 n2"}));
  CHECK(Render(*BuildUnion({l0, l1, l2, l3}).tree) == Lines({
                                                          "/ d 0755 0:0 n3",
                                                          "d d 0750 0:0 n2",
                                                          "d/c - 0644 0:0 n1 \"c\"",
                                                          "f - 0644 0:0 n1 \"three\"",
                                                      }));
}

TEST_CASE("union: marker grammar is exact", "[union]") {
  auto base = LayerMaker("base")
                  .File("keep", "k")
                  .Dir("d")
                  .File("d/child", "c")
                  .Dir(".wh..wh.plnk")
                  .File(".wh..wh.plnk/1234.56", "linked")
                  .File(".wh..wh.aufs", "")
                  .Dir(".wh..wh.orph")
                  .File(".wh..wh.orph/x", "")
                  .File(".wh.ghost", "")
                  .File("d/.wh.nothing", "")
                  .Make();
  auto upper = LayerMaker("upper")
                   .File("d/.wh..wh..opqX", "")
                   .File(".wh.", "")
                   .Dir(".wh.dir")
                   .File(".wh.dir/file", "hidden")
                   .Make();
  BuiltUnion built = BuildUnion({base, upper});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n3",
                                   "d d 0755 0:0 n2",
                                   "d/child - 0644 0:0 n1 \"c\"",
                                   "keep - 0644 0:0 n1 \"k\"",
                               }));
  REQUIRE(built.warnings.size() == 2);
  CHECK(HasWarning(built, "upper: /.wh.: ignored: bare whiteout marker"));
  CHECK(HasWarning(built, "upper: /.wh.dir/file: ignored: below a whiteout name"));
}

TEST_CASE("union: a whiteout below a path this layer made a file is ignored (umoci)", "[union]") {
  auto base = LayerMaker("base").Dir("p").File("p/q", "q").Make();
  auto upper = LayerMaker().File("p", "now a file").File("p/.wh.q", "").Make();
  BuiltUnion built = BuildUnion({base, upper});
  CHECK(Render(*built.tree) == Lines({
                                   "/ d 0755 0:0 n2",
                                   "p - 0644 0:0 n1 \"now a file\"",
                               }));
  CHECK(built.warnings.empty());
}

TEST_CASE("union: a marker implies its missing or non-directory parent", "[union]") {
  auto base = LayerMaker("base")
                  .Dir("usr")
                  .Dir("usr/lib")
                  .File("usr/lib/x", "x")
                  .Symlink("lib", "usr/lib")
                  .Make();
  SECTION("an opaque marker below a lower symlink yields an empty directory") {
    auto upper = LayerMaker().File("lib/.wh..wh..opq", "").Mtime(77).Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                         "/ d 0755 0:0 n4",
                                                         "lib d 0755 0:0 n2 @77",
                                                         "usr d 0755 0:0 n3",
                                                         "usr/lib d 0755 0:0 n2",
                                                         "usr/lib/x - 0644 0:0 n1 \"x\"",
                                                     }));
  }
  SECTION("a whiteout below missing directories implies them") {
    auto upper = LayerMaker().File("m/n/.wh.o", "").Mtime(5).Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                         "/ d 0755 0:0 n4",
                                                         "lib l 0777 0:0 n1 -> usr/lib",
                                                         "m d 0755 0:0 n3 @5",
                                                         "m/n d 0755 0:0 n2 @5",
                                                         "usr d 0755 0:0 n3",
                                                         "usr/lib d 0755 0:0 n2",
                                                         "usr/lib/x - 0644 0:0 n1 \"x\"",
                                                     }));
  }
  SECTION("a marker in the base layer hides nothing but still implies its parent") {
    auto only = LayerMaker().File("e/.wh..wh..opq", "").File(".wh.f", "").Make();
    BuiltUnion built = BuildUnion({only});
    CHECK(Render(*built.tree) == Lines({
                                     "/ d 0755 0:0 n3",
                                     "e d 0755 0:0 n2",
                                 }));
    CHECK(built.warnings.empty());
  }
  SECTION("a whiteout never acts through a lower symlink") {
    auto upper = LayerMaker().File("lib/.wh.x", "").Make();
    CHECK(Render(*BuildUnion({base, upper}).tree) == Lines({
                                                         "/ d 0755 0:0 n4",
                                                         "lib d 0755 0:0 n2",
                                                         "usr d 0755 0:0 n3",
                                                         "usr/lib d 0755 0:0 n2",
                                                         "usr/lib/x - 0644 0:0 n1 \"x\"",
                                                     }));
  }
}

}  // namespace
}  // namespace imgmount::testing
