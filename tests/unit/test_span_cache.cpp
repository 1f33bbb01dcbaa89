// The span cache: one decode per concurrent miss, error propagation, eviction, prefetching of
// sequential reads, sharing between sources, shutdown, lending, and the bound on decodes at once.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <thread>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/decode_permit.h"
#include "layers/stream/cached_stream.h"
#include "layers/stream/decode_pass.h"
#include "layers/stream/span_cache.h"
#include "tests/unit/test_byte_sources_fixtures.h"

namespace imgmount {
namespace {

SpanPtr MakeSpan(size_t size, char fill) {
  auto span = std::make_shared<DecodedSpan>();
  span->data = PageBuffer(size);
  std::memset(span->data.get(), fill, size);
  span->size = size;
  return span;
}

std::unique_ptr<DecodePass> GzipPass(const std::string& ref, const DecodeOptions& options) {
  auto pass = StartDecodePass(testing::Mem(testing::GzipMember(ref, {.level = 1})), Codec::kGzip,
                              "blob", options);
  pass->Drain();
  return pass;
}

}  // namespace

TEST_CASE("concurrent misses on one span decode it once", "[cache]") {
  SpanCache cache(1 << 20, 4096);
  std::atomic<int> loads{0};
  auto load = [&] {
    ++loads;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return MakeSpan(4096, 'a');
  };
  std::vector<std::thread> threads;
  std::vector<SpanPtr> got(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] { got[t] = cache.Get(1, 7, load); });
  }
  for (auto& thread : threads) thread.join();
  CHECK(loads == 1);
  for (const SpanPtr& span : got) CHECK(span == got[0]);
  auto stats = cache.stats();
  CHECK(stats.misses == 1);
  CHECK(stats.hits + stats.waits == 7);
  CHECK(cache.Get(1, 7, load) == got[0]);
  CHECK(loads == 1);
}

TEST_CASE("a failed load reaches every waiter and is retried later", "[cache]") {
  SpanCache cache(1 << 20, 4096);
  std::atomic<int> loads{0};
  auto failing = [&]() -> SpanPtr {
    ++loads;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    throw Error(ErrorKind::kIntegrity, EIO, "span changed");
  };
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      try {
        cache.Get(2, 1, failing);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::kIntegrity) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(errors == 4);
  CHECK(loads >= 1);
  CHECK(cache.Get(2, 1, [] { return MakeSpan(10, 'b'); })->size == 10);
}

TEST_CASE("the cache stays within its capacity", "[cache]") {
  SpanCache cache(8 * 1024, 1024);
  for (uint64_t i = 0; i < 100; ++i) cache.Get(1, i, [] { return MakeSpan(1024, 'c'); });
  auto stats = cache.stats();
  CHECK(stats.bytes <= 8 * 1024);
  CHECK(stats.evictions >= 90);
  // The most recently used entries survive.
  int hits_before = static_cast<int>(cache.stats().hits);
  cache.Get(1, 99, [] { return MakeSpan(1024, 'd'); });
  CHECK(static_cast<int>(cache.stats().hits) == hits_before + 1);
  // An entry larger than the capacity is returned but does not pin the cache forever.
  CHECK(cache.Get(1, 1000, [] { return MakeSpan(64 * 1024, 'e'); })->size == 64 * 1024);
  cache.Get(1, 1001, [] { return MakeSpan(1024, 'f'); });
  CHECK(cache.stats().bytes <= 64 * 1024 + 1024);
  cache.Forget(1);
  CHECK(cache.stats().bytes == 0);
}

TEST_CASE("sequential reads are decoded ahead in the background", "[cache]") {
  std::string ref = testing::MakeText(2 << 20, 31);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  auto pass = GzipPass(ref, options);
  SourcePtr source = pass->Finish();
  auto* cached = dynamic_cast<const CachedStream*>(source.get());
  REQUIRE(cached != nullptr);
  std::string piece(16 * 1024, '\0');
  for (uint64_t offset = 0; offset < ref.size(); offset += piece.size()) {
    std::string got = testing::ReadString(*source, offset, piece.size());
    REQUIRE(got == ref.substr(offset, piece.size()));
  }
  CHECK(cached->cache()->stats().queued > 0);
  // What the reader left behind was dropped: the cache holds a few spans, not the whole stream.
  size_t span_count = pass->Index().spans.size();
  REQUIRE(span_count > 8);
  CHECK(cached->cache()->stats().dropped >= span_count - 4);
  CHECK(cached->cache()->stats().bytes <= 6 * 2 * options.span_bytes);

  // Reading span 0 then span 1 makes the workers decode the spans ahead, 4 MiB of them but at
  // most 8 spans (these are small); then span 2 is a hit.
  SourcePtr again = OpenIndexed(testing::Mem(testing::GzipMember(ref, {.level = 1})), pass->Index(),
                                "again", options);
  auto* again_cached = dynamic_cast<const CachedStream*>(again.get());
  const auto& spans = pass->Index().spans;
  testing::ReadString(*again, spans[0].start, 10);
  testing::ReadString(*again, spans[1].start, 10);
  for (int i = 0; i < 500 && again_cached->cache()->stats().prefetched < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(again_cached->cache()->stats().prefetched == 8);
  uint64_t hits = again_cached->cache()->stats().hits;
  CHECK(testing::ReadString(*again, spans[2].start, 10) == ref.substr(spans[2].start, 10));
  CHECK(again_cached->cache()->stats().hits == hits + 1);

  // Random reads do not prefetch.
  DecodeOptions quiet = options;
  SourcePtr fresh = OpenIndexed(testing::Mem(testing::GzipMember(ref, {.level = 1})), pass->Index(),
                                "again", quiet);
  auto* fresh_cached = dynamic_cast<const CachedStream*>(fresh.get());
  for (uint64_t offset : {1500000u, 100000u, 900000u, 300000u}) {
    CHECK(testing::ReadString(*fresh, offset, 10) == ref.substr(offset, 10));
  }
  CHECK(fresh_cached->cache()->stats().queued == 0);
}

TEST_CASE("large spans are decoded 4 MiB ahead, at least two of them", "[cache]") {
  std::string ref = testing::MakeText(9 << 20, 35);
  for (auto [span_bytes, ahead] : {std::pair<uint64_t, uint64_t>{1 << 20, 4}, {2 << 20, 2}}) {
    INFO("spans of " << span_bytes << " bytes");
    DecodeOptions options;
    options.span_bytes = span_bytes;
    auto pass = GzipPass(ref, options);
    SourcePtr source = pass->Finish();
    auto* cached = dynamic_cast<const CachedStream*>(source.get());
    const auto& spans = pass->Index().spans;
    REQUIRE(spans.size() >= ahead + 2);
    testing::ReadString(*source, spans[0].start, 10);
    testing::ReadString(*source, spans[1].start, 10);
    for (int i = 0; i < 1000 && cached->cache()->stats().prefetched < ahead; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(cached->cache()->stats().queued == ahead);
    CHECK(cached->cache()->stats().prefetched == ahead);
  }
}

TEST_CASE("sources sharing one cache, destroyed while decoding ahead", "[cache]") {
  std::string ref = testing::MakeText(1 << 20, 32);
  DecodeOptions options;
  options.span_bytes = 32 * 1024;
  options.cache = std::make_shared<SpanCache>(1 << 20, 32 * 1024);
  auto pass = GzipPass(ref, options);
  for (int round = 0; round < 20; ++round) {
    SourcePtr a = OpenIndexed(testing::Mem(testing::GzipMember(ref, {.level = 1})), pass->Index(),
                              "a", options);
    SourcePtr b = OpenIndexed(testing::Mem(testing::GzipMember(ref, {.level = 1})), pass->Index(),
                              "b", options);
    uint64_t base = static_cast<uint64_t>(round) * 40000;
    for (uint64_t offset = base; offset < base + 200000; offset += 30000) {
      REQUIRE(testing::ReadString(*a, offset, 100) == ref.substr(offset, 100));
      REQUIRE(testing::ReadString(*b, offset + 1, 100) == ref.substr(offset + 1, 100));
    }
    // a and b go away here, possibly with prefetches queued or running.
  }
  CHECK(options.cache->stats().bytes <= 1 << 20);
}

TEST_CASE("bytes are lent from their decoded spans without a copy", "[cache]") {
  std::string ref = testing::MakeText(2 << 20, 33);
  DecodeOptions options;
  options.span_bytes = 64 * 1024;
  auto pass = GzipPass(ref, options);
  SourcePtr source = pass->Finish();
  const auto& spans = pass->Index().spans;
  REQUIRE(spans.size() > kMaxLentPieces + 2);
  auto as_string = [](const LentBytes& lent) {
    std::string joined;
    for (const LentPiece& piece : lent.pieces) {
      CHECK_FALSE(piece.bytes.empty());
      joined.append(reinterpret_cast<const char*>(piece.bytes.data()), piece.bytes.size());
    }
    return joined;
  };
  for (size_t i : {size_t{0}, size_t{2}, spans.size() - 1}) {
    const SpanInfo& span = spans[i];
    auto whole = source->Lend(span.start, span.size);
    REQUIRE(whole);
    CHECK(whole->pieces.size() == 1);
    CHECK(as_string(*whole) == ref.substr(span.start, span.size));
    auto inner = source->Lend(span.start + 100, 1000);
    REQUIRE(inner);
    CHECK(as_string(*inner) == ref.substr(span.start + 100, 1000));
  }
  // Across span boundaries: one piece per span, up to kMaxLentPieces of them.
  auto across = source->Lend(spans[1].start - 10, 20);
  REQUIRE(across);
  CHECK(across->pieces.size() == 2);
  CHECK(as_string(*across) == ref.substr(spans[1].start - 10, 20));
  uint64_t most_start = spans[1].start - 1;
  size_t most_length = static_cast<size_t>(spans[kMaxLentPieces].start - most_start);
  auto most = source->Lend(most_start, most_length);
  REQUIRE(most);
  CHECK(most->pieces.size() == kMaxLentPieces);
  CHECK(as_string(*most) == ref.substr(most_start, most_length));
  CHECK_FALSE(source->Lend(most_start, most_length + 1));  // one span too many: copied instead
  // Past the end, empty: nothing to lend.
  CHECK_FALSE(source->Lend(ref.size() - 10, 20));
  CHECK_FALSE(source->Lend(ref.size(), 1));
  CHECK_FALSE(source->Lend(0, 0));
  // Lent bytes outlive the source and its cache (the sanitizer build would see a use after free).
  std::string expected = ref.substr(spans[3].start - 5, 500);
  auto kept = source->Lend(spans[3].start - 5, 500);
  REQUIRE(kept);
  source.reset();
  pass.reset();  // `spans` is gone from here on
  CHECK(as_string(*kept) == expected);
}

namespace {

// Counts loads running at once and remembers the most seen.
struct Concurrency {
  std::atomic<size_t> running{0};
  std::atomic<size_t> most{0};

  SpanPtr Load(std::chrono::milliseconds hold) {
    size_t now = ++running;
    size_t seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(hold);
    --running;
    return MakeSpan(4096, 'p');
  }
};

}  // namespace

TEST_CASE("the process decodes a bounded number of spans at once", "[cache]") {
  SpanCache cache(64 << 20);
  Concurrency decodes;
  size_t readers = DecodePermitCount() + 6;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < readers; ++i) {
    threads.emplace_back(
        [&, i] { cache.Get(1, i, [&] { return decodes.Load(std::chrono::milliseconds(30)); }); });
  }
  for (auto& t : threads) t.join();
  CHECK(decodes.most.load() <= DecodePermitCount());
  CHECK(decodes.most.load() >= 2);  // still in parallel
  CHECK(cache.stats().misses == readers);
}

TEST_CASE("decodes nested in decodes that hold every permit still finish", "[cache]") {
  // Layer spans whose decode reads an outer stream's span (a layer inside a compressed outer
  // archive), started together with readers of the outer stream itself: more of each than there
  // are permits. A permit wait at the wrong place would hang here (ctest's timeout fails it).
  SpanCache inner(64 << 20);
  SpanCache outer(64 << 20);
  Concurrency outer_decodes;
  size_t count = DecodePermitCount() + 2;
  std::vector<std::thread> threads;
  std::atomic<size_t> finished{0};
  for (size_t i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      inner.Get(1, i, [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        outer.Get(2, i % 2, [&] { return outer_decodes.Load(std::chrono::milliseconds(10)); });
        return MakeSpan(4096, 'i');
      });
      ++finished;
    });
    threads.emplace_back([&, i] {
      outer.Get(2, i % 3, [&] { return outer_decodes.Load(std::chrono::milliseconds(10)); });
      ++finished;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(finished.load() == 2 * count);
  CHECK(outer.stats().misses <= 3);
}

}  // namespace imgmount
