// Tests of the per-open state of the FUSE adapter (fs/open_file.h): everything a read and an
// lseek need is resolved at open and held by the object itself, so it serves them with no other
// reference to its layer alive, and deleting it (release) lets the layer go.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "fs/open_file.h"
#include "layers/base/error.h"
#include "test_union_support.h"

namespace imgmount::testing {
namespace {

// The whole content of `file`, read in `chunk`-byte steps.
std::string ReadAll(const OpenFile& file, size_t chunk) {
  std::string out;
  std::string buf(chunk, '?');
  while (size_t got = file.Read(out.size(), std::as_writable_bytes(std::span(buf)))) {
    out.append(buf, 0, got);
  }
  return out;
}

TEST_CASE("open file: serves reads and seeks alone, and frees its layer when deleted", "[fs]") {
  // Members: 0 pre, 1 f, 2 s (sparse).
  std::shared_ptr<const LayerIndex> layer = LayerMaker()
                                                .File("pre", "XXXX")
                                                .File("f", "hello, world")
                                                .Sparse("s", 12, {{2, "ab"}, {8, "cd"}})
                                                .Make();
  std::weak_ptr<const LayerIndex> watch = layer;
  auto plain = std::make_unique<OpenFile>(layer, 1);
  auto sparse = std::make_unique<OpenFile>(layer, 2);
  layer.reset();  // what resolved the open (tree, lazy image) may be gone: the file is not
  REQUIRE_FALSE(watch.expired());

  CHECK(plain->size() == 12);
  for (size_t chunk : {1, 5, 4096}) CHECK(ReadAll(*plain, chunk) == "hello, world");
  std::string buf(8, '?');
  CHECK(plain->Read(7, std::as_writable_bytes(std::span(buf))) == 5);
  CHECK(buf.substr(0, 5) == "world");
  CHECK(plain->Read(12, std::as_writable_bytes(std::span(buf))) == 0);
  CHECK(plain->Seek(3, true) == 3u);
  CHECK(plain->Seek(3, false) == 12u);

  const std::string holes =
      std::string(2, '\0') + "ab" + std::string(4, '\0') + "cd" + std::string(2, '\0');
  for (size_t chunk : {1, 3, 4096}) CHECK(ReadAll(*sparse, chunk) == holes);
  CHECK(sparse->Seek(0, true) == 2u);
  CHECK(sparse->Seek(2, false) == 4u);
  CHECK(sparse->Seek(10, true) == std::nullopt);
  // The layer's stream is in memory: nothing to lend, reads are copied.
  CHECK_FALSE(plain->Lend(0, 4).has_value());

  plain.reset();
  CHECK_FALSE(watch.expired());
  sparse.reset();
  CHECK(watch.expired());
}

TEST_CASE("open file: data the layer cannot supply fails the read with EIO", "[fs]") {
  NewMember truncated;
  truncated.path = "truncated";
  truncated.size = 10;
  truncated.data_offset = 2;  // the stream holds 4 bytes: only 2 of the 10 are there
  auto layer = LayerMaker("bad layer").File("pre", "XXXX").Raw(truncated).Make();
  OpenFile file(layer, 1);
  std::string buf(10, '?');
  try {
    file.Read(0, std::as_writable_bytes(std::span(buf)));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.errno_value() == EIO);
    CHECK(std::string(e.what()).find("bad layer: /truncated") != std::string::npos);
  }
}

}  // namespace
}  // namespace imgmount::testing
