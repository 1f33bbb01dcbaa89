// Path resolution with a trace (index/union/path_resolver.h): the canonical path and the links
// followed, worked out by hand the way the kernel resolves them; and, without strict, a missing
// component joined lexically as realpath -m joins it.
#include <catch2/catch.hpp>

#include "index/union/path_resolver.h"
#include "layers/base/error.h"
#include "test_union_support.h"

namespace imgmount::testing {

TEST_CASE("path resolver: canonical path and the links followed", "[resolver]") {
  auto layer = LayerMaker()
                   .Dir("usr")
                   .Dir("usr/lib")
                   .File("usr/lib/libfoo.so.1", "x")
                   .Symlink("usr/lib/libfoo.so", "libfoo.so.1")
                   .Symlink("lib", "usr/lib")
                   .Symlink("bin", "/usr/bin")
                   .Dir("usr/bin")
                   .File("usr/bin/tool", "t")
                   .Symlink("loop", "loop")
                   .Make();
  auto tree = BuildUnion({layer}).tree;

  ResolvedPath r = ResolveTraced(*tree, "/lib/libfoo.so", false);
  CHECK(r.found);
  CHECK(r.path == "/usr/lib/libfoo.so");
  REQUIRE(r.links.size() == 1);
  CHECK(r.links[0].path == "/lib");
  CHECK(r.links[0].target == "usr/lib");

  // Following the last link too; an absolute link starts again from the root.
  r = ResolveTraced(*tree, "lib/libfoo.so", true);
  CHECK(r.path == "/usr/lib/libfoo.so.1");
  CHECK(r.links.size() == 2);
  CHECK(r.links[1].path == "/usr/lib/libfoo.so");
  CHECK(ResolveTraced(*tree, "/usr/lib/../../bin/tool", false).path == "/usr/bin/tool");
  // ".." after a symlinked directory climbs from where the link led: /usr/lib/.. is /usr.
  CHECK(ResolveTraced(*tree, "/lib/..", false).path == "/usr");
  CHECK(ResolveTraced(*tree, "/", false).path == "/");

  CHECK_THROWS_AS(ResolveTraced(*tree, "/lib/../etc/motd", false), Error);
  r = ResolveTraced(*tree, "/lib/../etc/../x/motd", false, false);
  CHECK_FALSE(r.found);
  CHECK(r.path == "/usr/x/motd");
  // A file used as a directory: lexically from there.
  r = ResolveTraced(*tree, "/bin/tool/x/..", false, false);
  CHECK_FALSE(r.found);
  CHECK(r.path == "/usr/bin/tool");
  try {
    ResolveTraced(*tree, "/loop/x", false, false);
    FAIL("a symlink loop resolved");
  } catch (const Error& e) {
    CHECK(e.errno_value() == ELOOP);
  }
}

}  // namespace imgmount::testing
