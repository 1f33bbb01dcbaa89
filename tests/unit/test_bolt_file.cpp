// BoltFile, the read-only bbolt reader of containerd's meta.db: lookups and listings through page
// and inline buckets, branch pages and overflow pages; the newest meta page that verifies; and
// hostile files (bad magic, a bad checksum on one meta, page ids out of range, counts that
// overflow their page, cycles, depth), each an error, never a crash.
#include <catch2/catch.hpp>
#include <string>

#include "layers/base/error.h"
#include "layers/containerd/bolt_file.h"
#include "layers/source/basic_sources.h"
#include "tests/support/bolt_writer.h"

using namespace imgmount;
using imgmount::test::BoltItem;
using imgmount::test::BoltWriter;

namespace {

BoltFile Open(const std::string& bytes) {
  return BoltFile(std::make_shared<MemorySource>(bytes, "meta.db"), "meta.db");
}

// Sets byte `at` of `bytes` to `value`.
void Poke(std::string& bytes, uint64_t at, uint8_t value) {
  bytes[at] = static_cast<char>(value);
}

// A file whose root bucket holds "a" = "1", bucket "b" (inline: "x" = "y") and bucket "c" (on a
// page of its own, its value spanning an overflow page).
std::string SmallFile(BoltWriter& writer, uint64_t* root, uint64_t* c_page) {
  *c_page = writer.Leaf({{"big", std::string(6000, 'z'), false}});
  *root = writer.Leaf({{"a", "1", false},
                       {"b", BoltWriter::InlineBucket({{"x", "y", false}}), true},
                       {"c", BoltWriter::BucketAt(*c_page), true}});
  return writer.Finish(*root, 7);
}

std::string ExpectBad(const std::string& bytes, const std::function<void(const BoltFile&)>& use) {
  try {
    BoltFile bolt = Open(bytes);
    use(bolt);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kBadImage);
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("bolt file reads values, inline and page buckets, overflow pages", "[bolt]") {
  BoltWriter writer;
  uint64_t root = 0;
  uint64_t c_page = 0;
  BoltFile bolt = Open(SmallFile(writer, &root, &c_page));
  CHECK(bolt.txid() == 8);
  CHECK(bolt.page_size() == 4096);
  CHECK(bolt.Value(bolt.Root(), "a") == "1");
  CHECK_FALSE(bolt.Value(bolt.Root(), "b"));
  CHECK_FALSE(bolt.Value(bolt.Root(), "zz"));
  CHECK_FALSE(bolt.Child(bolt.Root(), "a"));
  auto b = bolt.Child(bolt.Root(), "b");
  REQUIRE(b);
  CHECK(b->root == 0);
  CHECK(bolt.Value(*b, "x") == "y");
  auto c = bolt.Child(bolt.Root(), "c");
  REQUIRE(c);
  CHECK(c->root == c_page);
  CHECK(bolt.Value(*c, "big") == std::string(6000, 'z'));
  std::vector<BoltEntry> entries = bolt.Entries(bolt.Root());
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].key == "a");
  CHECK_FALSE(entries[0].is_bucket);
  CHECK(entries[1].is_bucket);
  CHECK(bolt.Value(bolt.AsBucket(entries[1]), "x") == "y");
  CHECK(bolt.CurrentTxid() == 8);
}

TEST_CASE("bolt file descends branch pages to the right leaf", "[bolt]") {
  BoltWriter writer;
  std::vector<std::pair<std::string, uint64_t>> children;
  for (char first : std::string("bdfh")) {
    std::string key(1, first);
    children.emplace_back(key,
                          writer.Leaf({{key, "v" + key, false}, {key + "2", "w" + key, false}}));
  }
  uint64_t branch = writer.Branch(children);
  BoltFile bolt = Open(writer.Finish(branch));
  CHECK(bolt.Value(bolt.Root(), "b") == "vb");
  CHECK(bolt.Value(bolt.Root(), "f2") == "wf");
  CHECK(bolt.Value(bolt.Root(), "h2") == "wh");
  CHECK_FALSE(bolt.Value(bolt.Root(), "a"));
  CHECK_FALSE(bolt.Value(bolt.Root(), "c"));
  CHECK(bolt.Entries(bolt.Root()).size() == 8);
}

TEST_CASE("bolt file uses the newest meta page that verifies", "[bolt]") {
  BoltWriter writer;
  uint64_t root = 0;
  uint64_t c_page = 0;
  std::string bytes = SmallFile(writer, &root, &c_page);
  SECTION("both good: the higher txid") {
    CHECK(Open(bytes).txid() == 8);
  }
  SECTION("a bad checksum on meta 1: meta 0") {
    Poke(bytes, writer.MetaOffset(1) + 16 + 56, 0x55);
    CHECK(Open(bytes).txid() == 7);
  }
  SECTION("bad magic on meta 0: meta 1, found without meta 0's page size") {
    Poke(bytes, writer.MetaOffset(0) + 16, 0);
    CHECK(Open(bytes).txid() == 8);
  }
  SECTION("both bad") {
    Poke(bytes, writer.MetaOffset(0) + 16, 0);
    Poke(bytes, writer.MetaOffset(1) + 16 + 60, 0x99);
    std::string message = ExpectBad(bytes, [](const BoltFile&) {});
    CHECK_THAT(message, Catch::Contains("not a bbolt database"));
  }
  SECTION("a file shorter than a meta page") {
    ExpectBad(bytes.substr(0, 40), [](const BoltFile&) {});
  }
}

TEST_CASE("bolt file refuses hostile pages with an error that says to retry", "[bolt]") {
  BoltWriter writer;
  uint64_t root = 0;
  uint64_t c_page = 0;
  std::string bytes = SmallFile(writer, &root, &c_page);
  auto read_all = [](const BoltFile& bolt) {
    bolt.Entries(bolt.Root());
    bolt.Value(*bolt.Child(bolt.Root(), "c"), "big");
  };
  std::string message;
  SECTION("page id out of range") {
    std::string hostile = bytes;
    // The bucket value of "c" (its root page id) is the last thing in the root leaf.
    size_t at = root * 4096 + hostile.substr(root * 4096, 4096).rfind(BoltWriter::BucketAt(c_page));
    Poke(hostile, at, 200);
    message = ExpectBad(hostile, read_all);
    CHECK_THAT(message, Catch::Contains("out of range"));
  }
  SECTION("a page past the end of a truncated file") {
    message = ExpectBad(bytes.substr(0, c_page * 4096 + 100), read_all);
  }
  SECTION("element count overflowing the page") {
    Poke(bytes, root * 4096 + 10, 0xff);
    Poke(bytes, root * 4096 + 11, 0xff);
    message = ExpectBad(bytes, read_all);
    CHECK_THAT(message, Catch::Contains("overflow"));
  }
  SECTION("element position outside its page") {
    Poke(bytes, root * 4096 + 16 + 7, 0x7f);
    message = ExpectBad(bytes, read_all);
  }
  SECTION("overflow count past the end") {
    Poke(bytes, c_page * 4096 + 14, 0x10);
    message = ExpectBad(bytes, read_all);
  }
  SECTION("a page carrying another id") {
    Poke(bytes, c_page * 4096, 99);
    message = ExpectBad(bytes, read_all);
    CHECK_THAT(message, Catch::Contains("carries the id"));
  }
  SECTION("an unknown page type") {
    Poke(bytes, root * 4096 + 8, 0x10);
    message = ExpectBad(bytes, read_all);
  }
  CHECK_THAT(message, Catch::Contains("retry"));
}

TEST_CASE("bolt file stops at cycles and at absurd depth", "[bolt]") {
  SECTION("a branch page that is its own child") {
    BoltWriter writer;
    uint64_t leaf = writer.Leaf({{"a", "1", false}});
    uint64_t branch = writer.Branch({{"a", leaf}, {"m", 0}});
    std::string& page = writer.Page(branch);
    for (int i = 0; i < 8; ++i)
      page[16 + 16 + 8 + i] = static_cast<char>((branch >> (8 * i)) & 0xff);
    std::string bytes = writer.Finish(branch);
    CHECK_THAT(ExpectBad(bytes, [](const BoltFile& b) { b.Entries(b.Root()); }),
               Catch::Contains("twice"));
    CHECK_THAT(ExpectBad(bytes, [](const BoltFile& b) { b.Value(b.Root(), "z"); }),
               Catch::Contains("ancestor"));
  }
  SECTION("a chain of 40 branch pages") {
    BoltWriter writer;
    uint64_t page = writer.Leaf({{"a", "1", false}});
    for (int i = 0; i < 40; ++i) page = writer.Branch({{"a", page}});
    std::string bytes = writer.Finish(page);
    CHECK_THAT(ExpectBad(bytes, [](const BoltFile& b) { b.Value(b.Root(), "a"); }),
               Catch::Contains("deeper"));
    CHECK_THAT(ExpectBad(bytes, [](const BoltFile& b) { b.Entries(b.Root()); }),
               Catch::Contains("deeper"));
  }
  SECTION("an inline bucket that claims to be a branch") {
    BoltWriter writer;
    std::string inline_bucket = BoltWriter::InlineBucket({{"x", "y", false}});
    inline_bucket[16 + 8] = 0x01;
    uint64_t root = writer.Leaf({{"b", inline_bucket, true}});
    std::string bytes = writer.Finish(root);
    CHECK_THAT(ExpectBad(bytes, [](const BoltFile& b) { b.Value(*b.Child(b.Root(), "b"), "x"); }),
               Catch::Contains("not a leaf"));
  }
}

TEST_CASE("Go varints decode as containerd writes sizes", "[bolt]") {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{64}, int64_t{300},
                    int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    CHECK(DecodeGoVarint(imgmount::test::GoVarint(n)) == n);
  }
  CHECK_FALSE(DecodeGoVarint(""));
  CHECK_FALSE(DecodeGoVarint("\x80"));
  CHECK_FALSE(DecodeGoVarint(std::string("\x02\x00", 2)));
  CHECK_FALSE(DecodeGoVarint(std::string(10, '\xff') + "\x01"));
}

TEST_CASE("bolt file bounds listings of buckets that share pages", "[bolt]") {
  BoltWriter writer;
  std::vector<BoltItem> shared_items;
  for (int i = 0; i < 200; ++i)
    shared_items.push_back({"k" + std::to_string(1000 + i), "v", false});
  uint64_t shared = writer.Leaf(shared_items);
  std::vector<BoltItem> buckets;
  for (int i = 0; i < 300; ++i) {
    buckets.push_back({"b" + std::to_string(1000 + i), BoltWriter::BucketAt(shared), true});
  }
  std::string bytes = writer.Finish(writer.Leaf(buckets));
  std::string message = ExpectBad(bytes, [](const BoltFile& bolt) {
    for (const BoltEntry& entry : bolt.Entries(bolt.Root())) bolt.Entries(bolt.AsBucket(entry));
  });
  CHECK_THAT(message, Catch::Contains("share pages"));
}
