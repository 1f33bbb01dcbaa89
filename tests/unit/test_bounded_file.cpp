// Small files the user names (--authfile, the certificates of --cert-dir) are read only up to
// their limit: a file over it is refused, and a device or FIFO that never ends cannot hold the
// client.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>

#include "layers/base/error.h"
#include "layers/registry/auth_file.h"
#include "layers/registry/bounded_file.h"
#include "layers/registry/cert_dir.h"
#include "tests/unit/test_index_cache_support.h"

using namespace imgmount;
using imgmount::testing::TempDir;

namespace {

void WriteBytes(const std::string& path, size_t size) {
  std::ofstream(path, std::ios::binary) << std::string(size, 'x');
}

// The kind and errno of what `body` throws (kInternal, 0 if nothing).
std::pair<ErrorKind, int> Thrown(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return {e.kind(), e.errno_value()};
  }
  return {ErrorKind::kInternal, 0};
}

}  // namespace

TEST_CASE("bounded files: up to the limit read, over it refused", "[auth]") {
  TempDir dir;
  WriteBytes(dir / "small", 1 << 20);
  WriteBytes(dir / "big", (1 << 20) + 1);
  CHECK(ReadBoundedFile(dir / "small", 1 << 20, "small")->size() == (1 << 20));
  try {
    ReadBoundedFile(dir / "big", 1 << 20, "the file big");
    FAIL("a file over its limit was read");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    CHECK(std::string(e.what()) == "the file big is larger than 1 MiB");
  }
  errno = 0;
  CHECK_FALSE(ReadBoundedFile(dir / "missing", 1 << 20, "missing"));
  CHECK(errno == ENOENT);
}

TEST_CASE("bounded files: an endless --authfile or a FIFO does not hold the client", "[auth]") {
  TempDir dir;
  RegistryAccess zero;
  zero.auth_file = "/dev/zero";
  CHECK(Thrown([&] { FindCredentials("quay.io", "x/y", zero); }) ==
        std::make_pair(ErrorKind::kUsage, EFBIG));

  // A FIFO nobody writes to reads as empty: not a JSON object, said at once.
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  RegistryAccess fifo;
  fifo.auth_file = dir / "fifo";
  CHECK(Thrown([&] { FindCredentials("quay.io", "x/y", fifo); }) ==
        std::make_pair(ErrorKind::kUsage, EINVAL));

  // A --cert-dir certificate over 8 MiB is refused as before.
  std::filesystem::create_directories(dir / "certs");
  WriteBytes(dir / "certs/ca.crt", (8 << 20) + 1);
  CHECK(Thrown([&] { LoadCertDir(dir / "certs", ""); }) ==
        std::make_pair(ErrorKind::kUsage, EFBIG));
}
