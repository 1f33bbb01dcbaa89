// The byte-source conformance suite: one set of checks run against every kind of source, plain
// and decoded, one and two levels deep.
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/span_cache.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

using testing::Rng;

constexpr uint64_t kSpan = 64 * 1024;

DecodeOptions SmallSpans(uint64_t span = kSpan, uint64_t cache = 8 * kSpan) {
  DecodeOptions options;
  options.span_bytes = span;
  options.cache_bytes = cache;
  return options;
}

// Runs a pass over `blob`, reading in pieces of varied size, and checks what it yields.
SourcePtr DecodeChecked(SourcePtr blob, Codec codec, const std::string& expected,
                        const DecodeOptions& options, std::unique_ptr<DecodePass>* keep = nullptr) {
  auto pass = StartDecodePass(blob, codec, "test blob", options);
  std::string got;
  std::string piece(300000, '\0');
  Rng rng(expected.size());
  for (;;) {
    size_t want = 1 + rng.Below(piece.size());
    size_t n = pass->Read(std::as_writable_bytes(std::span(piece.data(), want)));
    if (n == 0) break;
    got.append(piece.data(), n);
    REQUIRE(pass->Position() == got.size());
  }
  REQUIRE(got.size() == expected.size());
  REQUIRE(got == expected);
  SourcePtr source = pass->Finish();
  if (options.hash) {
    CHECK(pass->StreamDigest() == testing::Sha256Of(expected));
    CHECK(pass->BlobDigest() == testing::Sha256Of(ReadAll(*blob, UINT64_MAX)));
  }
  if (keep) *keep = std::move(pass);
  return source;
}

// The conformance checks: sizes, empty reads, reads at and past the end, random reads, reads
// around every span start, and 8 threads at once.
void CheckConformance(const ByteSource& source, const std::string& ref,
                      const std::vector<uint64_t>& boundaries, uint64_t seed) {
  using testing::ReadString;
  REQUIRE(source.Size() == ref.size());
  uint64_t size = ref.size();
  std::byte none[1];
  CHECK(source.ReadAt(0, std::span(none, 0)) == 0);
  CHECK(source.ReadAt(size / 2, std::span(none, 0)) == 0);
  CHECK(source.ReadAt(size, std::span(none, 0)) == 0);
  CHECK(source.ReadAt(size, none) == 0);
  CHECK(source.ReadAt(size + 1, none) == 0);
  CHECK(source.ReadAt(UINT64_MAX, none) == 0);
  CHECK(ReadString(source, size > 10 ? size - 10 : 0, 100) ==
        ref.substr(size > 10 ? size - 10 : 0));
  CHECK(ReadString(source, 0, ref.size() + 10) == ref);

  Rng rng(seed);
  for (int i = 0; i < 300; ++i) {
    uint64_t offset = rng.Below(size + 1);
    size_t length = 0;
    switch (rng.Below(4)) {
      case 0:
        length = 1 + rng.Below(16);
        break;
      case 1:
        length = 4096;
        break;
      case 2:
        length = rng.Below(3 * kSpan);
        break;
      default:
        length = rng.Below(200000);
        break;
    }
    std::string got = ReadString(source, offset, length);
    REQUIRE(got == ref.substr(offset, length));
  }
  size_t step = std::max<size_t>(1, boundaries.size() / 200);
  for (size_t i = 0; i < boundaries.size(); i += step) {
    uint64_t b = boundaries[i];
    for (uint64_t back : {1u, 3u, 4096u}) {
      uint64_t from = b >= back ? b - back : 0;
      REQUIRE(ReadString(source, from, back + 7) == ref.substr(from, back + 7));
    }
  }

  std::atomic<int> mismatches{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Rng local(seed * 31 + t);
      for (int i = 0; i < 60; ++i) {
        uint64_t offset = local.Below(size + 1);
        size_t length = local.Below(2) ? 4096 : local.Below(2 * kSpan);
        try {
          if (ReadString(source, offset, length) != ref.substr(offset, length)) ++mismatches;
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches == 0);
  CHECK(errors == 0);
}

std::vector<uint64_t> SpanStarts(const DecodePass* pass) {
  std::vector<uint64_t> out;
  if (pass) {
    for (const SpanInfo& span : pass->Index().spans) out.push_back(span.start);
  }
  return out;
}

struct Kind {
  std::string name;
  // Builds the source under test; returns it with the reference bytes and span starts.
  std::function<SourcePtr(const std::string& ref, std::vector<uint64_t>* boundaries,
                          std::vector<std::shared_ptr<void>>* keep)>
      make;
  size_t size;
};

template <typename T>
std::shared_ptr<void> Keep(std::shared_ptr<T> p) {
  return std::static_pointer_cast<void>(std::move(p));
}

SourcePtr Decoded(SourcePtr blob, Codec codec, const std::string& ref,
                  std::vector<uint64_t>* boundaries, const DecodeOptions& options = SmallSpans()) {
  std::unique_ptr<DecodePass> pass;
  SourcePtr source = DecodeChecked(std::move(blob), codec, ref, options, &pass);
  *boundaries = SpanStarts(pass.get());
  return source;
}

std::vector<Kind> AllKinds() {
  std::vector<Kind> kinds;
  kinds.push_back({"file",
                   [](const std::string& ref, auto*, auto* keep) -> SourcePtr {
                     auto file = std::make_shared<testing::TempFile>(ref);
                     keep->push_back(Keep(file));
                     return FileSource::Open(file->path());
                   },
                   1 << 20});
  kinds.push_back({"slice",
                   [](const std::string& ref, auto*, auto*) -> SourcePtr {
                     auto outer = testing::Mem(std::string(777, 'x') + ref + std::string(99, 'y'));
                     return std::make_shared<SliceSource>(outer, 777, ref.size(), "slice");
                   },
                   1 << 20});
  kinds.push_back(
      {"memory",
       [](const std::string& ref, auto*, auto*) -> SourcePtr { return testing::Mem(ref); },
       1 << 20});
  kinds.push_back({"plain pass",
                   [](const std::string& ref, auto* b, auto*) {
                     return Decoded(testing::Mem(ref), Codec::kNone, ref, b);
                   },
                   1 << 20});
  kinds.push_back({"gzip single member",
                   [](const std::string& ref, auto* b, auto*) {
                     return Decoded(testing::Mem(testing::GzipMember(ref)), Codec::kGzip, ref, b);
                   },
                   3 << 20});
  kinds.push_back({"gzip multi-member",
                   [](const std::string& ref, auto* b, auto*) {
                     auto blob = testing::GzipMembers(ref, {300000, 0, 17, 1 << 20, 65536, 5000});
                     return Decoded(testing::Mem(blob), Codec::kGzip, ref, b);
                   },
                   3 << 20});
  kinds.push_back({"gzip with long runs",
                   [](const std::string& ref, auto* b, auto*) {
                     return Decoded(testing::Mem(testing::GzipMember(ref)), Codec::kGzip, ref, b);
                   },
                   0});
  kinds.push_back({"zstd multi-frame",
                   [](const std::string& ref, auto* b, auto*) {
                     auto blob = testing::ZstdFrames(ref, 100000) + testing::SkippableFrame("seek");
                     return Decoded(testing::Mem(blob), Codec::kZstd, ref, b);
                   },
                   3 << 20});
  kinds.push_back({"zstd single frame, local copy",
                   [](const std::string& ref, auto* b, auto*) {
                     return Decoded(testing::Mem(testing::ZstdFrame(ref, 3, true, true)),
                                    Codec::kZstd, ref, b);
                   },
                   3 << 20});
  kinds.push_back({"zstd small single frame",
                   [](const std::string& ref, auto* b, auto*) {
                     return Decoded(testing::Mem(testing::ZstdFrame(ref)), Codec::kZstd, ref, b);
                   },
                   120000});
  kinds.push_back({"zstd mixed frames",
                   [](const std::string& ref, auto* b, auto*) {
                     std::string_view v(ref);
                     auto blob = testing::ZstdFrames(v.substr(0, 500000), 70000) +
                                 testing::SkippableFrame("x") +
                                 testing::ZstdFrame(v.substr(500000, 1500000), 1, false, true) +
                                 testing::ZstdFrames(v.substr(2000000), 50000);
                     return Decoded(testing::Mem(blob), Codec::kZstd, ref, b);
                   },
                   3 << 20});
  kinds.push_back({"gzip in a slice of a file",
                   [](const std::string& ref, auto* b, auto* keep) {
                     auto gz = testing::GzipMember(ref);
                     auto file = std::make_shared<testing::TempFile>(std::string(4321, '\0') + gz +
                                                                     std::string(512, '\0'));
                     keep->push_back(Keep(file));
                     auto slice = std::make_shared<SliceSource>(FileSource::Open(file->path()),
                                                                4321, gz.size(), "layer.tar.gz");
                     return Decoded(slice, Codec::kGzip, ref, b);
                   },
                   2 << 20});
  kinds.push_back({"gzip of gzip, two levels",
                   [](const std::string& ref, auto* b, auto*) {
                     auto inner = testing::GzipMember(ref, {.level = 1});
                     auto outer = testing::GzipMember(inner, {.level = 9});
                     std::vector<uint64_t> outer_spans;
                     SourcePtr level1 = Decoded(testing::Mem(outer), Codec::kGzip, inner,
                                                &outer_spans, SmallSpans(32 * 1024));
                     return Decoded(level1, Codec::kGzip, ref, b);
                   },
                   2 << 20});
  return kinds;
}

std::string Reference(const Kind& kind, size_t index) {
  if (kind.size > 0) return testing::MakeText(kind.size, index + 1);
  // Long runs: deflate blocks far larger than a span (continuation spans) between text.
  std::string ref = testing::MakeText(200000, 7) + std::string(3 << 20, '\0') +
                    testing::MakeText(300000, 8) + std::string(1 << 20, 'a');
  return ref;
}

}  // namespace

TEST_CASE("every byte source conforms", "[bytesource]") {
  auto kinds = AllKinds();
  auto index = GENERATE(range<size_t>(0, 13));
  REQUIRE(kinds.size() == 13);
  const Kind& kind = kinds[index];
  INFO("kind: " << kind.name);
  std::string ref = Reference(kind, index);
  std::vector<uint64_t> boundaries;
  std::vector<std::shared_ptr<void>> keep;
  SourcePtr source = kind.make(ref, &boundaries, &keep);
  CheckConformance(*source, ref, boundaries, index * 1000 + 1);
}

TEST_CASE("plain pass digests only when everything was read", "[bytesource]") {
  std::string ref = testing::MakeText(100000, 3);
  auto read_all = StartDecodePass(testing::Mem(ref), Codec::kNone, "plain");
  std::string buffer(70000, '\0');
  while (read_all->Read(std::as_writable_bytes(std::span(buffer.data(), buffer.size()))) > 0) {
  }
  CHECK(read_all->BlobDigest() == testing::Sha256Of(ref));
  CHECK(read_all->StreamDigest() == testing::Sha256Of(ref));
  CHECK(read_all->Finish()->Size() == ref.size());

  auto skipping = StartDecodePass(testing::Mem(ref), Codec::kNone, "plain");
  skipping->Read(std::as_writable_bytes(std::span(buffer.data(), 512)));
  skipping->Skip(1000);
  CHECK(skipping->Position() == 1512);
  skipping->Drain();
  CHECK(skipping->Position() == ref.size());
  CHECK(skipping->BlobDigest().empty());
  CHECK(skipping->StreamDigest().empty());
}

TEST_CASE("compressed passes hash even when the reader skips", "[bytesource]") {
  std::string ref = testing::MakeText(500000, 4);
  for (auto [codec, blob] : {std::pair{Codec::kGzip, testing::GzipMember(ref)},
                             std::pair{Codec::kZstd, testing::ZstdFrames(ref, 100000)}}) {
    auto pass = StartDecodePass(testing::Mem(blob), codec, "blob", SmallSpans());
    pass->Skip(12345);
    std::string piece(1000, '\0');
    REQUIRE(pass->Read(std::as_writable_bytes(std::span(piece.data(), piece.size()))) == 1000);
    CHECK(piece == ref.substr(12345, 1000));
    pass->Drain();
    CHECK(pass->Position() == ref.size());
    CHECK(pass->StreamDigest() == testing::Sha256Of(ref));
    CHECK(pass->BlobDigest() == testing::Sha256Of(blob));
    CHECK(testing::ReadString(*pass->Finish(), 400000, 50) == ref.substr(400000, 50));
  }
}

TEST_CASE("a file changed on disk while open is refused, never read", "[bytesource]") {
  std::string ref = testing::MakeText(100000, 5);
  testing::TempFile file(ref);
  auto source = FileSource::Open(file.path());
  CHECK(testing::ReadString(*source, 1000, 100) == ref.substr(1000, 100));

  std::string changed = ref;
  changed[1050] = static_cast<char>(changed[1050] ^ 1);
  file.Write(changed);  // same size, new content
  file.SetModificationTime({12345, 678});
  try {
    testing::ReadString(*source, 1000, 100);
    FAIL("a read of the rewritten file succeeded");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kIntegrity);
    CHECK(e.errno_value() == EIO);
    CHECK_THAT(e.what(), Catch::Contains(file.path()) && Catch::Contains("changed on disk"));
  }

  auto reopened = FileSource::Open(file.path());
  CHECK(testing::ReadString(*reopened, 1000, 100) == changed.substr(1000, 100));
  file.Write(changed.substr(0, 500));  // truncated underneath
  CHECK_THROWS_AS(testing::ReadString(*reopened, 0, 100), Error);
}

TEST_CASE("sniffing codecs", "[bytesource]") {
  CHECK(SniffCodec(*testing::Mem(testing::GzipMember("x"))) == Codec::kGzip);
  CHECK(SniffCodec(*testing::Mem(testing::ZstdFrame("x"))) == Codec::kZstd);
  CHECK(SniffCodec(*testing::Mem("plain tar")) == Codec::kNone);
  CHECK(SniffCodec(*testing::Mem("")) == Codec::kNone);
  CHECK(SniffCodec(*testing::Mem("\x1f")) == Codec::kNone);
  CHECK(std::string(CodecName(Codec::kZstd)) == "zstd");
}

}  // namespace imgmount
