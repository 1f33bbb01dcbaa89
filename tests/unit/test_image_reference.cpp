// Registry references as the distribution spec's grammar (docker/distribution's reference
// package) and skopeo's docker:// transport read them: good ones with each part, bad ones
// refused with a usage error naming the part; the bare HOST/REPO form only when it is
// unambiguous (a host first, no local path of that name).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "layers/base/error.h"
#include "layers/registry/image_reference.h"

using namespace imgmount;

namespace {

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

ErrorKind KindOf(const std::string& text) {
  try {
    ParseImageReference(text);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kInternal;
}

}  // namespace

TEST_CASE("references: host, port, repository, tag and digest", "[reference]") {
  ImageReference a = ParseImageReference("docker://127.0.0.1:5000/team/app:1.2-rc_3");
  CHECK(a.registry == "127.0.0.1:5000");
  CHECK(a.repository == "team/app");
  CHECK(a.tag == "1.2-rc_3");
  CHECK(a.digest.empty());
  CHECK(a.ManifestRef() == "1.2-rc_3");
  CHECK(a.PlainHttp());
  CHECK(a.given == "docker://127.0.0.1:5000/team/app:1.2-rc_3");

  ImageReference b = ParseImageReference("docker://quay.io/org/x/y@" + kDigest);
  CHECK(b.registry == "quay.io");
  CHECK(b.repository == "org/x/y");
  CHECK(b.tag.empty());
  CHECK(b.ManifestRef() == kDigest);
  CHECK_FALSE(b.PlainHttp());
  CHECK(b.Canonical() == "quay.io/org/x/y@" + kDigest);

  ImageReference c = ParseImageReference("docker://localhost/app");
  CHECK(c.registry == "localhost");
  CHECK(c.tag == "latest");
  CHECK(c.PlainHttp());
  CHECK(c.Canonical() == "localhost/app:latest");
}

TEST_CASE("references: Docker Hub names as skopeo reads them", "[reference]") {
  ImageReference a = ParseImageReference("docker://alpine:3.19");
  CHECK(a.registry == "docker.io");
  CHECK(a.repository == "library/alpine");
  CHECK(a.ApiHost() == "registry-1.docker.io");
  ImageReference b = ParseImageReference("docker://bitnami/redis");
  CHECK(b.repository == "bitnami/redis");
  CHECK(b.tag == "latest");
  CHECK_FALSE(b.PlainHttp());
}

TEST_CASE("references: separators of path components", "[reference]") {
  for (const char* good : {"a.b", "a_b", "a__b", "a-b", "a---b", "a0.b1_c2__d3-e4", "0"}) {
    INFO(good);
    CHECK(ParseImageReference(std::string("docker://h.io/") + good).repository == good);
  }
  for (const char* bad :
       {"A", "a..b", "a___b", "a._b", "a-_b", "-a", "a-", ".a", "a.", "a/", "a//b", "a b", "a%b"}) {
    INFO(bad);
    CHECK(KindOf(std::string("docker://h.io/") + bad) == ErrorKind::kUsage);
  }
}

TEST_CASE("references: bad tags, digests, hosts", "[reference]") {
  CHECK(KindOf("docker://h.io/a:") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a:.x") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a:-x") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a:" + std::string(129, 'x')) == ErrorKind::kUsage);
  CHECK(ParseImageReference("docker://h.io/a:" + std::string(128, 'x')).tag.size() == 128);
  CHECK(KindOf("docker://h.io/a:x/y") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a@sha256:abc") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a@md5:0123456789abcdef0123456789abcdef") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a@" + kDigest.substr(0, 20) + "ABCDEF") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/a:1@" + kDigest) == ErrorKind::kUsage);
  CHECK(KindOf("docker://") == ErrorKind::kUsage);
  CHECK(KindOf("docker://-h.io/a") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h-.io/a") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h..io/a") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io:/a") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io:50x0/a") == ErrorKind::kUsage);
  CHECK(KindOf("docker://h.io/" + std::string(251, 'a')) == ErrorKind::kUsage);
  try {
    ParseImageReference("docker://h.io/a:-x");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("docker://h.io/a:-x") != std::string::npos);
    CHECK(std::string(e.what()).find("tag \"-x\"") != std::string::npos);
  }
}

TEST_CASE("references: loopback hosts speak plain HTTP, others HTTPS", "[reference]") {
  CHECK(IsLoopbackHost("localhost"));
  CHECK(IsLoopbackHost("localhost:5000"));
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("127.1.2.3:443"));
  CHECK_FALSE(IsLoopbackHost("127.0.0.1.example.com"));
  CHECK_FALSE(IsLoopbackHost("127.example.com:80"));
  CHECK_FALSE(IsLoopbackHost("128.0.0.1"));
  CHECK_FALSE(IsLoopbackHost("localhost.evil.io"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.1:5000"));
}

TEST_CASE("references: the bare form only when unambiguous", "[reference]") {
  auto dir =
      std::filesystem::temp_directory_path() / ("imgmount-ref-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "my.registry");
  std::filesystem::path old = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  std::ofstream(dir / "my.registry" / "img.tar") << "x";

  auto a = RegistryReferenceOf("localhost:5000/app:1");
  REQUIRE(a);
  CHECK(a->registry == "localhost:5000");
  CHECK(a->repository == "app");
  CHECK(a->tag == "1");
  CHECK(RegistryReferenceOf("ghcr.io/o/p")->tag == "latest");
  CHECK(RegistryReferenceOf("docker://x.io/y")->registry == "x.io");
  // Not a host first, no slash, or a path that exists (whole or as FILE:TAG): local.
  CHECK_FALSE(RegistryReferenceOf("app/x:1"));
  CHECK_FALSE(RegistryReferenceOf("image.tar"));
  CHECK_FALSE(RegistryReferenceOf("image.tar:app:1"));
  CHECK_FALSE(RegistryReferenceOf("/abs/x.io/y"));
  CHECK_FALSE(RegistryReferenceOf("my.registry/img.tar"));
  CHECK_FALSE(RegistryReferenceOf("my.registry/img.tar:app:2"));
  // Off the grammar: a missing local file, reported as such by whoever opens it.
  CHECK_FALSE(RegistryReferenceOf("./x.tar"));
  CHECK_FALSE(RegistryReferenceOf("my.registry/Img"));
  // docker:// is always a reference, and a malformed one is a usage error.
  CHECK_THROWS_AS(RegistryReferenceOf("docker://my.registry/Img"), Error);

  std::filesystem::current_path(old);
  std::filesystem::remove_all(dir);
}
