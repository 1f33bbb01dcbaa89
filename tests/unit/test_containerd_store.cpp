// containerd's image records read from a meta.db laid out as containerd 1.6 lays it out: names
// resolved exactly, then as docker and nerdctl normalise them, then NAME@DIGEST by target; the
// errors that list images and namespaces; the default namespace of Docker's root; a root
// without metadata.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "layers/base/error.h"
#include "layers/containerd/containerd_store.h"
#include "layers/image/containerd_files.h"
#include "tests/support/bolt_writer.h"
#include "tests/unit/test_index_cache_support.h"

using namespace imgmount;
using imgmount::testing::TempDir;

namespace {

const std::string kIndexType = "application/vnd.oci.image.index.v1+json";
const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

void WriteMetaDb(const std::string& root, const std::vector<test::BoltImage>& images) {
  ::mkdir((root + "/io.containerd.metadata.v1.bolt").c_str(), 0700);
  std::ofstream out(root + "/io.containerd.metadata.v1.bolt/meta.db", std::ios::binary);
  out << test::ContainerdMetaDb(images);
}

std::string NotFoundMessage(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kNotFound);
    return e.what();
  }
  FAIL("no error");
  return "";
}

}  // namespace

TEST_CASE("containerd names normalise as docker and nerdctl do", "[containerd]") {
  CHECK(NormalizeContainerdName("node") == "docker.io/library/node:latest");
  CHECK(NormalizeContainerdName("node:20") == "docker.io/library/node:20");
  CHECK(NormalizeContainerdName("team/app") == "docker.io/team/app:latest");
  CHECK(NormalizeContainerdName("index.docker.io/team/app:1") == "docker.io/team/app:1");
  CHECK(NormalizeContainerdName("quay.io/x/y") == "quay.io/x/y:latest");
  CHECK(NormalizeContainerdName("localhost:5000/y") == "localhost:5000/y:latest");
  CHECK(NormalizeContainerdName("localhost/y:2") == "localhost/y:2");
  CHECK(NormalizeContainerdName("node@" + kDigestA) == "docker.io/library/node@" + kDigestA);
}

TEST_CASE("containerd images resolve by name in their namespace", "[containerd]") {
  TempDir root;
  WriteMetaDb(root.path(), {{"default", "docker.io/library/node:20", kDigestA, kIndexType, 1234},
                            {"default", "example.com/app:v1", kDigestB, kIndexType, 99},
                            {"k8s.io", "docker.io/library/node:20", kDigestB, kIndexType, 5}});
  StoreImage node = ResolveStoreImage(root.path(), "default", "node:20");
  CHECK(node.name == "docker.io/library/node:20");
  CHECK(node.digest == kDigestA);
  CHECK(node.media_type == kIndexType);
  CHECK(node.size == 1234);
  CHECK(ResolveStoreImage(root.path(), "k8s.io", "docker.io/library/node:20").digest == kDigestB);
  CHECK(ResolveStoreImage(root.path(), "default", "example.com/app:v1").size == 99);
  CHECK(ResolveStoreImage(root.path(), "default", "example.com/app@" + kDigestB).name ==
        "example.com/app:v1");
  CHECK(ReadNamespaces(root.path()) == std::vector<std::string>{"default", "k8s.io"});
  CHECK(ReadStoreImages(root.path(), "default").size() == 2);
  CHECK(ReadStoreImages(root.path(), "").size() == 3);

  std::string message =
      NotFoundMessage([&] { ResolveStoreImage(root.path(), "default", "node:18"); });
  CHECK_THAT(message, Catch::Contains("docker.io/library/node:18") &&
                          Catch::Contains("example.com/app:v1") &&
                          Catch::Contains("namespace default"));
  message = NotFoundMessage([&] { ResolveStoreImage(root.path(), "moby", "node:20"); });
  CHECK_THAT(message, Catch::Contains("no namespace \"moby\"") && Catch::Contains("k8s.io"));
  message = NotFoundMessage([&] { ReadStoreImages(root.path(), "moby"); });
  CHECK_THAT(message, Catch::Contains("default"));
}

TEST_CASE("containerd roots and namespaces default as docker and ctr do", "[containerd]") {
  CHECK(ContainerdNamespace({"", ""}, "/var/lib/docker/containerd/daemon") == "moby");
  CHECK(ContainerdNamespace({"", ""}, "/var/lib/containerd") == "default");
  CHECK(ContainerdNamespace({"", "k8s.io"}, "/var/lib/docker/containerd/daemon") == "k8s.io");
  TempDir root;
  CHECK(ContainerdRoot({root.path(), ""}) == root.path());
  CHECK_THAT(NotFoundMessage([&] { ResolveStoreImage(root.path(), "default", "x"); }),
             Catch::Contains("no metadata database"));
  CHECK_THAT(NotFoundMessage([&] {
               ContainerdRoot({root / "absent", ""});
             }),
             Catch::Contains("no such directory"));
  try {
    OpenContainerdFiles("containerd://", {root.path(), ""});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
  }
}
