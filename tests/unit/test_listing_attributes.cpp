// The listing policy of fs/listing_attributes.h: listings are bare until a non-directory of a
// directory listed bare is looked up; that lookup (and only the first such one, whichever
// thread makes it) hands back every directory listed bare for invalidation.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "fs/listing_attributes.h"

namespace imgmount {
namespace {

TEST_CASE("listings are bare until a bare-listed file is looked up", "[listing]") {
  ListingAttributes policy;
  CHECK_FALSE(policy.attributes_wanted());
  // Lookups before any listing, or in directories never listed, change nothing.
  CHECK(policy.NoteLookup(3).empty());
  CHECK(policy.ListBare(3, 10));
  CHECK(policy.ListBare(7, 10));
  CHECK(policy.NoteLookup(5).empty());
  CHECK(policy.NoteLookup(12).empty());
  CHECK_FALSE(policy.attributes_wanted());

  std::vector<uint32_t> listed = policy.NoteLookup(7);
  CHECK(listed == std::vector<uint32_t>{3, 7});
  CHECK(policy.attributes_wanted());
  CHECK_FALSE(policy.ListBare(4, 10));
  CHECK(policy.NoteLookup(3).empty());
}

TEST_CASE("a directory outside the tree is never listed bare", "[listing]") {
  ListingAttributes policy;
  CHECK_FALSE(policy.ListBare(10, 10));
  CHECK(policy.NoteLookup(10).empty());
  CHECK_FALSE(policy.attributes_wanted());
}

TEST_CASE("concurrent listings and lookups switch once, handing back every bare listing",
          "[listing]") {
  ListingAttributes policy;
  constexpr uint32_t kDirs = 2000;
  std::vector<std::atomic<bool>> listed_bare(kDirs);
  std::vector<uint32_t> handed_back;
  std::atomic<int> switches{0};
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t dir = t; dir < kDirs; dir += 4) {
        if (policy.ListBare(dir, kDirs)) listed_bare[dir] = true;
        std::vector<uint32_t> listed = policy.NoteLookup(dir > 1000 ? dir : kDirs + 1);
        if (!listed.empty() && switches.fetch_add(1) == 0) handed_back = std::move(listed);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE(switches.load() == 1);
  std::vector<uint32_t> expected;
  for (uint32_t dir = 0; dir < kDirs; ++dir) {
    if (listed_bare[dir]) expected.push_back(dir);
  }
  CHECK(handed_back == expected);
  CHECK(policy.attributes_wanted());
  CHECK_FALSE(policy.ListBare(0, kDirs));
}

}  // namespace
}  // namespace imgmount
