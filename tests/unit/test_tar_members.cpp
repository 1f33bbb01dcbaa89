// What the indexer makes of tar members, as docker, containerd and umoci place them (issue 21
// points 3 and 4): symlinks are 0777 whatever their header says, a file's mode comes from its
// header alone (never from ACL records), names are cleaned lexically ("root/../ufo" is "ufo")
// while a name that climbs out is dropped with a warning, and a member below a file that the
// same layer put there refuses the layer, naming both members.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "index/layer/tar_indexer.h"
#include "layers/base/error.h"
#include "layers/source/basic_sources.h"
#include "tests/support/tar_writer.h"

namespace imgmount {
namespace {

using namespace fixture;

struct Indexed {
  std::map<std::string, TarMember> members;
  std::vector<std::string> warnings;
  std::shared_ptr<LayerIndex> index;
};

TarEntry Make(const std::string& path, TarType type = TarType::kRegular, uint32_t mode = 0644) {
  TarEntry e;
  e.path = path;
  e.type = type;
  e.mode = mode;
  if (type == TarType::kRegular) e.content = "content of " + path;
  return e;
}

Indexed IndexEntries(const std::vector<TarEntry>& entries) {
  LayerBlob blob;
  blob.blob = std::make_shared<MemorySource>(BuildTar(entries), "layer.tar");
  Indexed out;
  out.index = IndexLayer(blob, "layer 1", DecodeOptions{},
                         [&](const std::string& warning) { out.warnings.push_back(warning); });
  for (uint32_t i = 0; i < out.index->size(); ++i) {
    TarMember m = out.index->member(i);
    out.members[std::string(m.path)] = m;
  }
  return out;
}

std::string IndexError(const std::vector<TarEntry>& entries) {
  try {
    IndexEntries(entries);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kBadImage);
    return e.what();
  }
  return "";
}

TEST_CASE("a symlink is 0777; a file's mode is its header's", "[tar-members]") {
  TarEntry link = Make("link", TarType::kSymlink, 0640);
  link.link_target = "target";
  TarEntry acl = Make("acl-file", TarType::kRegular, 0573);
  acl.extra_pax = {{"SCHILY.acl.access", "user::r-x,group::rwx,mask::rwx,other::-wx"}};
  auto indexed = IndexEntries({link, acl});
  CHECK(indexed.members.at("link").mode == 0777);
  CHECK(indexed.members.at("acl-file").mode == 0573);
}

TEST_CASE("names are cleaned lexically; climbing out is dropped", "[tar-members]") {
  TarEntry hard = Make("x/../hard", TarType::kHardlink);
  hard.link_target = "root/../ufo";
  auto indexed = IndexEntries({Make("root", TarType::kDirectory, 0755), Make("root/../ufo"),
                               Make("./a/./b/../c"), hard, Make("../escape"),
                               Make("a/../../escape2"), Make("/x/../../e3")});
  CHECK(indexed.members.count("ufo") == 1);
  CHECK(indexed.members.count("a/c") == 1);
  CHECK(indexed.members.at("hard").link_target == "ufo");
  CHECK(indexed.members.size() == 4);  // root, ufo, a/c, hard; no escape
  CHECK(indexed.warnings.size() == 3);
  for (const std::string& w : indexed.warnings) CHECK_THAT(w, Catch::Contains("unsafe name"));
}

TEST_CASE("a member below a file of the same layer refuses the layer", "[tar-members]") {
  CHECK_THAT(IndexError({Make("foo"), Make("foo/bar")}),
             Catch::Contains("layer 1: member \"foo/bar\" lies below \"foo\""));
  CHECK_THAT(IndexError({Make("d", TarType::kDirectory, 0755), Make("d/fifo", TarType::kFifo),
                         Make("x"), Make("d/fifo/deep/er/file")}),
             Catch::Contains("\"d/fifo/deep/er/file\" lies below \"d/fifo\""));
  // Names that sort between "foo" and "foo/..." do not hide it.
  CHECK_THAT(IndexError({Make("foo"), Make("foo-bar"), Make("foo.d/x"), Make("foo/bar")}),
             Catch::Contains("\"foo/bar\" lies below \"foo\""));
  // Fine: the file replaced by a directory first, a file after its children, a symlink.
  TarEntry link = Make("s", TarType::kSymlink);
  link.link_target = "d";
  CHECK(IndexError({Make("foo"), Make("foo", TarType::kDirectory, 0755), Make("foo/bar")}) == "");
  CHECK(IndexError({Make("foo/bar"), Make("foo")}) == "");
  CHECK(IndexError({Make("foo-bar"), Make("foo/x"), Make("foobar")}) == "");
  CHECK(IndexError({link, Make("s/x")}) == "");
  CHECK(IndexError({Make(".wh."), Make(".wh./x"), Make("d/.wh.x"), Make("d/.wh.x/y")}) == "");
}

}  // namespace
}  // namespace imgmount
