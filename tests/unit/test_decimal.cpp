// ParseDecimal, the one parser of numbers given in options and environment variables, and the
// chunk cache size that uses it: only whole runs of digits that fit in 64 bits are numbers.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "layers/base/decimal.h"
#include "layers/base/error.h"
#include "layers/registry/chunk_store.h"

using namespace imgmount;

TEST_CASE("ParseDecimal takes whole runs of digits that fit in 64 bits", "[decimal]") {
  CHECK(ParseDecimal("0") == 0u);
  CHECK(ParseDecimal("007") == 7u);
  CHECK(ParseDecimal("20000000000") == 20000000000u);
  CHECK(ParseDecimal("18446744073709551615") == UINT64_MAX);
  for (const char* junk : {"", " 1", "1 ", "+1", "-1", "-0", "1x", "x1", "1.5", "0x10",
                           "18446744073709551616", "99999999999999999999999"}) {
    INFO("text: \"" << junk << "\"");
    CHECK_FALSE(ParseDecimal(junk));
  }
}

namespace {

// Sets IMGMOUNT_CHUNK_CACHE_SIZE for one test, restoring the old value after it.
class ChunkCacheSize {
 public:
  explicit ChunkCacheSize(const char* value) {
    const char* old = std::getenv(kName);
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    ::setenv(kName, value, 1);
  }
  ~ChunkCacheSize() {
    if (had_) {
      ::setenv(kName, old_.c_str(), 1);
    } else {
      ::unsetenv(kName);
    }
  }

 private:
  static constexpr const char* kName = "IMGMOUNT_CHUNK_CACHE_SIZE";
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST_CASE("the chunk cache size takes bytes, K, M or G, up to 64 bits", "[decimal]") {
  {
    ChunkCacheSize size("20000000000");  // above 16 GiB: a plain byte count
    CHECK(ChunkCacheLimit() == 20000000000u);
  }
  {
    ChunkCacheSize size("512M");
    CHECK(ChunkCacheLimit() == 512u << 20);
  }
  {
    ChunkCacheSize size("20000g");
    CHECK(ChunkCacheLimit() == uint64_t{20000} << 30);
  }
  {
    ChunkCacheSize size("17179869183G");  // (2^64 - 1) / 2^30: the most that fits
    CHECK(ChunkCacheLimit() == uint64_t{17179869183} << 30);
  }
  for (const char* junk : {"17179869184G", "18446744073709551616", "-1", "1.5G", "G", "12X"}) {
    INFO("IMGMOUNT_CHUNK_CACHE_SIZE=" << junk);
    ChunkCacheSize size(junk);
    try {
      ChunkCacheLimit();
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kUsage);
      CHECK(std::string(e.what()).find(junk) != std::string::npos);
    }
  }
}
