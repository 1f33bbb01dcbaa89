// Platforms as containerd's platforms package normalises and matches them (its Parse, Normalize
// and strict matcher): the table of spellings and their canonical form, matching, and the forms
// `--platform` refuses.
#include <catch2/catch.hpp>

#include "layers/base/error.h"
#include "layers/image/platform.h"

using namespace imgmount;

TEST_CASE("platform spellings parse to containerd's canonical form", "[platform]") {
  const Platform host = Platform::Host();
  struct Row {
    const char* input;
    std::string canonical;
  };
  const Row rows[] = {
      {"arm64", "linux/arm64/v8"},
      {"aarch64", "linux/arm64/v8"},
      {"linux/arm64", "linux/arm64/v8"},
      {"linux/arm64/v8", "linux/arm64/v8"},
      {"linux/arm64/8", "linux/arm64/v8"},
      {"linux/aarch64", "linux/arm64/v8"},
      {"linux/arm64/v9", "linux/arm64/v9"},
      {"LINUX/ARM64", "linux/arm64/v8"},
      {"Linux/AArch64/V8", "linux/arm64/v8"},
      {"x86_64", "linux/amd64"},
      {"x86-64", "linux/amd64"},
      {"amd64", "linux/amd64"},
      {"linux/x86_64", "linux/amd64"},
      {"linux/amd64/v1", "linux/amd64"},
      {"linux/amd64/v3", "linux/amd64/v3"},
      {"armhf", "linux/arm/v7"},
      {"linux/armhf", "linux/arm/v7"},
      {"armel", "linux/arm/v6"},
      {"arm", "linux/arm/v7"},
      {"linux/arm", "linux/arm/v7"},
      {"linux/arm/7", "linux/arm/v7"},
      {"linux/arm/v6", "linux/arm/v6"},
      {"linux/arm/5", "linux/arm/v5"},
      {"i386", "linux/386"},
      {"386", "linux/386"},
      {"linux/i386", "linux/386"},
      {"ppc64le", "linux/ppc64le"},
      {"s390x", "linux/s390x"},
      {"riscv64", "linux/riscv64"},
      {"windows/amd64", "windows/amd64"},
      {"macos/arm64", "darwin/arm64/v8"},
      {"linux", "linux/" + host.architecture + (host.variant.empty() ? "" : "/" + host.variant)},
  };
  for (const Row& row : rows) {
    INFO(row.input);
    CHECK(Platform::Parse(row.input).ToString() == row.canonical);
  }
}

TEST_CASE("an image's platform is shown in canonical form", "[platform]") {
  CHECK(Platform{"linux", "arm64", ""}.ToString() == "linux/arm64/v8");
  CHECK(Platform{"linux", "arm", ""}.ToString() == "linux/arm/v7");
  CHECK(Platform{"linux", "amd64", ""}.ToString() == "linux/amd64");
  CHECK(Platform{"", "amd64", ""}.ToString() == "linux/amd64");
  CHECK(Platform{"", "", ""}.ToString() == "unknown");
  CHECK(Platform::Host().ToString() == Platform::Host().Normalized().ToString());
}

TEST_CASE("platforms match as containerd's strict matcher matches them", "[platform]") {
  auto matches = [](const char* wanted, Platform image) {
    return Platform::Parse(wanted).Matches(image);
  };
  // arm64 without a variant is v8, whichever side leaves it out.
  CHECK(matches("aarch64", {"linux", "arm64", "v8"}));
  CHECK(matches("arm64", {"linux", "arm64", ""}));
  CHECK(matches("linux/arm64/v8", {"linux", "arm64", ""}));
  CHECK(matches("linux/arm64", {"linux", "arm64", "v8"}));
  CHECK(matches("linux/arm64", {"linux", "aarch64", ""}));
  CHECK_FALSE(matches("linux/arm64", {"linux", "arm64", "v9"}));
  // arm without a variant is v7; other variants are other platforms.
  CHECK(matches("armhf", {"linux", "arm", "v7"}));
  CHECK(matches("armhf", {"linux", "arm", ""}));
  CHECK(matches("armel", {"linux", "arm", "v6"}));
  CHECK_FALSE(matches("armhf", {"linux", "arm", "v6"}));
  CHECK_FALSE(matches("linux/arm/v7", {"linux", "arm", "v6"}));
  CHECK_FALSE(matches("linux/arm", {"linux", "arm", "v6"}));
  // amd64's baseline v1 is the plain amd64; a higher level is another platform.
  CHECK(matches("x86_64", {"linux", "amd64", ""}));
  CHECK(matches("linux/amd64", {"linux", "amd64", "v1"}));
  CHECK_FALSE(matches("linux/amd64", {"linux", "amd64", "v3"}));
  CHECK(matches("linux/amd64/v3", {"linux", "amd64", "v3"}));
  CHECK(matches("i386", {"linux", "386", ""}));
  // OS and architecture compare case-insensitively; an OS is never ignored.
  CHECK(matches("LINUX/AMD64", {"Linux", "AMD64", ""}));
  CHECK_FALSE(matches("linux/amd64", {"windows", "amd64", ""}));
  CHECK_FALSE(matches("linux/amd64", {"linux", "arm64", "v8"}));
}

TEST_CASE("platform forms that are not platforms are usage errors", "[platform]") {
  for (const char* bad : {"", "/", "linux/", "/arm64", "a/b/c/d", "linux//v8", "linux/arm64/",
                          "nonsense", "linux/*", "linux/arm 64", "linux/arm64/v8/x"}) {
    INFO(bad);
    try {
      Platform::Parse(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kUsage);
      CHECK(std::string(e.what()).find(std::string("\"") + bad + "\"") != std::string::npos);
    }
  }
}
