// The entry limit that bounds the memory indexing and the union may take: a layer with more
// members, or an image whose layers hold more entries in all, is refused with an error that
// names it and the way to raise the limit; at the limit everything still works.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "index/layer/layer_index.h"
#include "index/layer/tar_indexer.h"
#include "index/union/union_builder.h"
#include "index/union/union_tree.h"
#include "layers/base/error.h"
#include "tests/unit/test_index_cache_images.h"
#include "tests/unit/test_index_cache_support.h"
#include "tests/unit/test_union_support.h"

namespace imgmount {
namespace {

// Sets IMGMOUNT_MAX_ENTRIES for the life of the object, restoring the previous value after.
class EntryLimit {
 public:
  explicit EntryLimit(const std::string& value) {
    if (const char* old = std::getenv("IMGMOUNT_MAX_ENTRIES")) old_ = old;
    ::setenv("IMGMOUNT_MAX_ENTRIES", value.c_str(), 1);
  }
  ~EntryLimit() {
    if (old_.empty()) {
      ::unsetenv("IMGMOUNT_MAX_ENTRIES");
    } else {
      ::setenv("IMGMOUNT_MAX_ENTRIES", old_.c_str(), 1);
    }
  }
  EntryLimit(const EntryLimit&) = delete;
  EntryLimit& operator=(const EntryLimit&) = delete;

 private:
  std::string old_;
};

LayerBlob LayerOfFiles(size_t count, testing::Compression method) {
  std::vector<testing::TarEntry> entries;
  for (size_t i = 0; i < count; ++i) {
    entries.push_back(testing::PlainFile("f" + std::to_string(i), ""));
  }
  return testing::MakeBlob(testing::BuildTar(entries), method);
}

std::string IndexError(const LayerBlob& blob) {
  try {
    IndexLayer(blob, "layer 3", DecodeOptions{}, {});
  } catch (const Error& e) {
    return std::string(ErrorKindName(e.kind())) + ": " + e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the entry limit defaults to one per 2 KiB of memory, at least 1 Mi", "[limits]") {
  EntryLimit unset("");
  ::unsetenv("IMGMOUNT_MAX_ENTRIES");
  uint64_t memory = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  CHECK(MaxEntries() == std::max<uint64_t>(memory / 2048, 1 << 20));
  for (const char* junk : {"", "0", "-5", "12x", "x"}) {
    ::setenv("IMGMOUNT_MAX_ENTRIES", junk, 1);
    INFO("IMGMOUNT_MAX_ENTRIES=" << junk);
    CHECK(MaxEntries() == std::max<uint64_t>(memory / 2048, 1 << 20));
  }
  ::setenv("IMGMOUNT_MAX_ENTRIES", "99999999999999", 1);
  CHECK(MaxEntries() == 0xfffffffeu);
}

TEST_CASE("a layer with more members than the limit is refused, naming it", "[limits]") {
  EntryLimit limit("40");
  for (auto method : {testing::Compression::kNone, testing::Compression::kGzip}) {
    INFO("compression " << static_cast<int>(method));
    CHECK(IndexError(LayerOfFiles(40, method)).empty());
    std::string error = IndexError(LayerOfFiles(41, method));
    CHECK_THAT(error, Catch::StartsWith("bad image") && Catch::Contains("layer 3") &&
                          Catch::Contains("more than 40 members") &&
                          Catch::Contains("IMGMOUNT_MAX_ENTRIES"));
  }
}

TEST_CASE("an image whose layers hold more entries in all than the limit is refused", "[limits]") {
  auto make = [](const std::string& prefix, size_t count) {
    testing::LayerMaker maker(prefix);
    for (size_t i = 0; i < count; ++i) maker.File(prefix + std::to_string(i), "x");
    return maker.Make();
  };
  // Each layer is under the limit; the root and the two layers' entries together are not.
  auto lower = make("a", 15);
  auto upper = make("b", 15);
  {
    EntryLimit limit("31");
    auto tree = BuildUnionTree({lower, upper});
    REQUIRE(tree->inode_count() == 31);
  }
  EntryLimit limit("30");
  try {
    BuildUnionTree({lower, upper});
    FAIL("built a union past the entry limit");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kBadImage);
    CHECK_THAT(e.what(),
               Catch::Contains("more than 30 entries") && Catch::Contains("IMGMOUNT_MAX_ENTRIES"));
  }
}

}  // namespace imgmount
