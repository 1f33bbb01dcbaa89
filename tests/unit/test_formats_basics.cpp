// Unit tests of the small format pieces: member-path normalisation, digests, safe JSON
// (platforms: test_platforms.cpp).
#include <catch2/catch.hpp>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/base/member_path.h"
#include "layers/image/image.h"
#include "layers/image/json.h"

using namespace imgmount;

TEST_CASE("member paths normalise to one form", "[formats]") {
  CHECK(NormalizeMemberPath("./x") == "x");
  CHECK(NormalizeMemberPath("/x") == "x");
  CHECK(NormalizeMemberPath("x/") == "x");
  CHECK(NormalizeMemberPath("x") == "x");
  CHECK(NormalizeMemberPath("./a//b/./c/") == "a/b/c");
  CHECK(NormalizeMemberPath("./") == "");
  CHECK(NormalizeMemberPath("/") == "");
  CHECK_FALSE(NormalizeMemberPath("a/../b").has_value());
  CHECK_FALSE(NormalizeMemberPath("..").has_value());
  CHECK_FALSE(NormalizeMemberPath(std::string("a\0b", 3)).has_value());
}

TEST_CASE("a path is normal exactly when normalising leaves it as it is", "[formats]") {
  for (std::string path : {"",         "x",
                           "a/b/c",    ".x",
                           "x.",       "..x",
                           "a/.b/c..", "./x",
                           "/x",       "x/",
                           "a//b",     "a/./b",
                           "a/../b",   ".",
                           "..",       "/",
                           "//",       "a/b/",
                           "a/.",      "a/..",
                           "./",       "x/.wh..wh..opq"}) {
    INFO(path);
    CHECK(IsNormalMemberPath(path) == (NormalizeMemberPath(path) == path));
  }
  CHECK_FALSE(IsNormalMemberPath(std::string("a\0b", 3)));
  CHECK(IsNormalMemberPath("usr/lib/x86_64-linux-gnu/libc.so.6"));
}

TEST_CASE("joining inside never climbs above the root", "[formats]") {
  CHECK(JoinInside("a/b", "../c") == "a/c");
  CHECK(JoinInside("a", "./x/y") == "a/x/y");
  CHECK(JoinInside("", "x") == "x");
  CHECK_FALSE(JoinInside("a", "../../x").has_value());
  CHECK_FALSE(JoinInside("a", "/etc/passwd").has_value());
  CHECK(ParentPath("a/b/c") == "a/b");
  CHECK(ParentPath("a") == "");
  CHECK(BaseName("a/b/c") == "c");
}

TEST_CASE("names in messages are escaped and shortened", "[formats]") {
  CHECK(PrintableName("usr/bin/env") == "usr/bin/env");
  CHECK(PrintableName(std::string("a\nb\0c\\", 6)) == "a\\x0ab\\x00c\\x5c");
  std::string long_name = std::string(150, 'h') + std::string(10000, 'm') + std::string(50, 't');
  std::string shown = PrintableName(long_name);
  CHECK(shown == std::string(120, 'h') + "...(10200 bytes)..." + std::string(40, 't'));
}

TEST_CASE("digests are computed with the algorithm they name", "[formats]") {
  auto digest = [](DigestAlgorithm algorithm, std::string_view text) {
    Hasher hasher(algorithm);
    hasher.Update(std::as_bytes(std::span(text.data(), text.size())));
    return hasher.Finish();
  };
  // FIPS 180-2 test vectors for "abc".
  CHECK(digest(DigestAlgorithm::kSha256, "abc") ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(digest(DigestAlgorithm::kSha512, "abc") ==
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  CHECK(AlgorithmOf("sha512:" + std::string(128, '0')) == DigestAlgorithm::kSha512);
  CHECK(AlgorithmOf("sha256:" + std::string(64, '0')) == DigestAlgorithm::kSha256);
  CHECK(AlgorithmOf("") == DigestAlgorithm::kSha256);
}

TEST_CASE("only well-formed digests become blob paths", "[formats]") {
  std::string good = "sha256:" + std::string(64, 'a');
  CHECK(IsValidDigest(good));
  CHECK(BlobPath(good, "x") == "blobs/sha256/" + std::string(64, 'a'));
  CHECK(IsValidDigest("sha512:" + std::string(128, '0')));
  CHECK_FALSE(IsValidDigest("sha256:" + std::string(63, 'a')));
  CHECK_FALSE(IsValidDigest("sha256:" + std::string(64, 'A')));
  CHECK_FALSE(IsValidDigest("sha256:../../x"));
  CHECK_FALSE(IsValidDigest("md5:" + std::string(32, 'a')));
  CHECK_THROWS_AS(BlobPath("sha256:../../etc/passwd", "index.json"), Error);
  CHECK(DigestFromBlobPath("blobs/sha256/" + std::string(64, 'b')) ==
        "sha256:" + std::string(64, 'b'));
  CHECK_FALSE(DigestFromBlobPath("abc/layer.tar").has_value());
}

TEST_CASE("JSON from images is parsed defensively", "[formats]") {
  JsonDoc ok(R"({"a":"x","n":3,"b":true,"list":["p","q"]})", "doc");
  const auto& root = ok.RootObject();
  CHECK(ok.String(root, "a") == "x");
  CHECK(ok.OptUint(root, "n") == 3u);
  CHECK(ok.OptBool(root, "b") == true);
  CHECK(ok.StringArray(root, "list") == std::vector<std::string>{"p", "q"});
  CHECK_FALSE(ok.OptString(root, "missing").has_value());
  CHECK_THROWS_AS(ok.String(root, "n"), Error);
  CHECK_THROWS_AS(ok.OptArray(root, "a"), Error);

  CHECK_THROWS_AS(JsonDoc("{", "truncated"), Error);
  CHECK_THROWS_AS(JsonDoc(R"({"a":1,"a":2})", "duplicate keys"), Error);
  CHECK_THROWS_WITH(JsonDoc(std::string(100000, '[') + std::string(100000, ']'), "deep"),
                    Catch::Contains("nested deeper"));
  JsonDoc array("[1,2]", "array");
  CHECK_THROWS_AS(array.RootObject(), Error);
}
