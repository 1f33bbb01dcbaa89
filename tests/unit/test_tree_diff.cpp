// Tests of DiffTrees: the same-member shortcut skips only what the shared member settles, so a
// comparison gives the same answer whether or not the two images' lower layers are proven to be
// the same bytes (which is what changes between container formats: a docker-archive's
// uncompressed layers carry no proven digest, an OCI layout's gzip layers do).
#include <algorithm>
#include <catch2/catch.hpp>

#include "index/view/tree_diff.h"
#include "test_union_support.h"

namespace imgmount::testing {
namespace {

// `layer` with a proven identity, as indexing a compressed blob gives it ("" for none).
std::shared_ptr<const LayerIndex> Proven(const std::shared_ptr<const LayerIndex>& layer,
                                         const std::string& digest) {
  auto copy = std::make_shared<LayerIndex>(layer->name(), layer->tables(), layer);
  copy->AttachStream(layer->stream(), StreamIndex{}, LayerDigests{"", digest});
  return copy;
}

// "change path (what, ...)" lines, one per difference.
std::vector<std::string> Describe(const std::vector<DiffEntry>& diff) {
  std::vector<std::string> out;
  for (const DiffEntry& e : diff) {
    std::string line = e.kind == DiffEntry::Kind::kAdded     ? "added "
                       : e.kind == DiffEntry::Kind::kDeleted ? "deleted "
                                                             : "modified ";
    line += "/" + e.path;
    if (!e.what.empty()) {
      line += " (";
      for (size_t i = 0; i < e.what.size(); ++i) line += (i ? ", " : "") + e.what[i];
      line += ")";
    }
    out.push_back(line);
  }
  return out;
}

struct Compared {
  std::vector<std::string> lines;
  ContentHashes::Counts counts;
};

Compared Compare(const std::vector<std::shared_ptr<const LayerIndex>>& a,
                 const std::vector<std::shared_ptr<const LayerIndex>>& b) {
  auto tree_a = BuildUnion(a).tree;
  auto tree_b = BuildUnion(b).tree;
  ContentHashes hashes;
  DiffOptions options;
  options.hashes = &hashes;
  Compared out;
  out.lines = Describe(DiffTrees({tree_a.get()}, {tree_b.get()}, options));
  out.counts = hashes.counts();
  return out;
}

TEST_CASE("tree diff: a hardlink added above a shared layer changes the lower file's links",
          "[diff]") {
  auto base = LayerMaker("base").Dir("etc").File("etc/f", "hello").Make();
  auto one = LayerMaker("one").File("x", "x").Make();
  auto two = LayerMaker("two").Hardlink("etc/g", "etc/f").Make();
  const std::vector<std::string> want = {"modified /etc/f (links)", "added /etc/g", "deleted /x"};
  SECTION("the base layer proven the same on both sides (OCI layout against OCI layout)") {
    auto shared = Proven(base, "sha256:b");
    CHECK(Compare({shared, one}, {shared, two}).lines == want);
  }
  SECTION("the base layer unproven on one side (docker-archive against OCI layout)") {
    CHECK(Compare({base, one}, {Proven(base, "sha256:b"), two}).lines == want);
  }
  SECTION("a hardlink removed: the link count drops") {
    auto shared = Proven(base, "sha256:b");
    auto gone = LayerMaker("gone").File("etc/.wh.g", "").Make();
    CHECK(Compare({shared, two}, {shared, two, gone}).lines ==
          std::vector<std::string>{"modified /etc/f (links)", "deleted /etc/g"});
  }
}

TEST_CASE("tree diff: members of proven-identical layers are not read; unproven ones are",
          "[diff]") {
  auto base = LayerMaker("base").File("big", std::string(10000, 'b')).File("small", "s").Make();
  auto top = LayerMaker("top").File("t", "t").Make();
  SECTION("proven the same: nothing to hash, nothing reported") {
    auto shared = Proven(base, "sha256:b");
    Compared got = Compare({shared}, {shared, top});
    CHECK(got.lines == std::vector<std::string>{"added /t"});
    CHECK(got.counts.computed == 0);
  }
  SECTION("the same member tables but no proven identity: every equal-size file is hashed") {
    Compared got = Compare({Proven(base, "")}, {Proven(base, ""), top});
    CHECK(got.lines == std::vector<std::string>{"added /t"});
    CHECK(got.counts.computed == 4);
  }
  SECTION("proven identities that differ: compared in full") {
    Compared got = Compare({Proven(base, "sha256:b")}, {Proven(base, "sha256:c"), top});
    CHECK(got.lines == std::vector<std::string>{"added /t"});
    CHECK(got.counts.computed == 4);
  }
  SECTION("a blob digest and a stream digest never match each other") {
    auto blob = std::make_shared<LayerIndex>(base->name(), base->tables(), base);
    blob->AttachStream(base->stream(), StreamIndex{}, LayerDigests{"sha256:b", ""});
    CHECK(ProvenLayerIdentity(*blob) != ProvenLayerIdentity(*Proven(base, "sha256:b")));
    CHECK(ProvenLayerIdentity(*base).empty());
  }
}

TEST_CASE("tree diff: upper layers of one side are seen through a shared lower layer", "[diff]") {
  // Every difference an upper layer can make to entries of a shared lower layer, on one side or
  // both: the answer with the lower layer proven shared (the shortcut) must equal the answer
  // with nothing proven (every attribute and content compared).
  auto base = LayerMaker("base")
                  .Dir("d")
                  .File("d/a", "aaaa")
                  .File("d/b", "bbbb")
                  .Dir("e", 0750)
                  .File("e/c", "cccc")
                  .Symlink("s", "d/a")
                  .File("f", "ffff")
                  .Make();
  NewMember xattr;
  xattr.path = "f";
  xattr.type = MemberType::kRegular;
  xattr.mode = 0644;
  xattr.size = 4;
  xattr.data_offset = 0;  // the bytes of "g", the same content as the lower "f"
  xattr.xattrs = {{"user.k", "v"}};
  std::vector<std::shared_ptr<const LayerIndex>> uppers = {
      LayerMaker("link").Hardlink("d/hard", "d/a").Make(),
      LayerMaker("whiteout").File("d/.wh.b", "").Make(),
      LayerMaker("opaque").Dir("e").File("e/.wh..wh..opq", "").File("e/n", "nnnn").Make(),
      LayerMaker("dir mode").Dir("e", 0700).Make(),
      LayerMaker("dir owner").Dir("d").Owner(1, 1).Make(),
      LayerMaker("mtime").File("f", "ffff").Mtime(5).Make(),
      LayerMaker("content").File("d/a", "AAAA").Make(),
      LayerMaker("symlink").Symlink("s", "d/b").Make(),
      LayerMaker("xattr").File("g", "ffff").Raw(xattr).Make(),
      LayerMaker("type").Dir("f").Make(),
  };
  auto shared = Proven(base, "sha256:base");
  for (size_t i = 0; i <= uppers.size(); ++i) {
    for (size_t j = 0; j <= uppers.size(); ++j) {
      std::vector<std::shared_ptr<const LayerIndex>> proven_a = {shared}, plain_a = {base};
      std::vector<std::shared_ptr<const LayerIndex>> proven_b = {shared}, plain_b = {base};
      if (i < uppers.size()) {
        proven_a.push_back(Proven(uppers[i], "sha256:upper" + std::to_string(i)));
        plain_a.push_back(uppers[i]);
      }
      if (j < uppers.size()) {
        proven_b.push_back(Proven(uppers[j], "sha256:upper" + std::to_string(j)));
        plain_b.push_back(uppers[j]);
      }
      INFO("A: base + " << (i < uppers.size() ? uppers[i]->name() : "nothing"));
      INFO("B: base + " << (j < uppers.size() ? uppers[j]->name() : "nothing"));
      Compared with_shortcut = Compare(proven_a, proven_b);
      Compared in_full = Compare(plain_a, plain_b);
      CHECK(with_shortcut.lines == in_full.lines);
      CHECK(with_shortcut.lines.empty() == (i == j));
    }
  }
}

TEST_CASE("tree diff: a root present on one side only is one added or deleted entry", "[diff]") {
  auto tree = BuildUnion({LayerMaker().Dir("d").File("d/f", "f").Make()}).tree;
  uint32_t dir = *tree->Resolve("d");
  ContentHashes hashes;
  DiffOptions options;
  options.hashes = &hashes;
  auto added = DiffTrees({tree.get(), std::nullopt}, {tree.get(), dir}, options);
  REQUIRE(added.size() == 1);
  CHECK(added[0].kind == DiffEntry::Kind::kAdded);
  CHECK(added[0].path.empty());
  CHECK(added[0].type_b == MemberType::kDirectory);
  CHECK(added[0].id_a == kNoIndex);
  CHECK(added[0].id_b == dir);
  auto deleted = DiffTrees({tree.get(), dir}, {tree.get(), std::nullopt}, options);
  REQUIRE(deleted.size() == 1);
  CHECK(deleted[0].kind == DiffEntry::Kind::kDeleted);
  CHECK(deleted[0].id_a == dir);
  CHECK(DiffTrees({tree.get(), std::nullopt}, {tree.get(), std::nullopt}, options).empty());
}

}  // namespace
}  // namespace imgmount::testing
