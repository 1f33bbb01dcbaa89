// PageBuffer: mapped buffers, and the reuse of mappings given back. A reused mapping still holds
// what its last owner wrote, while a fresh one reads as zeros: that is how these tests see reuse
// (addresses prove nothing, the kernel hands out a just-unmapped range again).
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <thread>
#include <vector>

#include "layers/source/page_buffer.h"

using namespace imgmount;

namespace {

constexpr int kMark = 0x5a;

// Gives back a buffer of `size` bytes whose first and last bytes are marked.
void GiveBackMarked(size_t size) {
  PageBuffer buffer(size);
  buffer.get()[0] = std::byte{kMark};
  buffer.get()[size - 1] = std::byte{kMark};
}

bool Marked(const PageBuffer& buffer) {
  return std::to_integer<int>(buffer.get()[0]) == kMark;
}

}  // namespace

TEST_CASE("a page buffer is writable over its whole size", "[page_buffer]") {
  for (size_t size : {size_t{1}, size_t{4096}, size_t{256 * 1024}, size_t{3 << 20}}) {
    PageBuffer buffer(size);
    REQUIRE(buffer.size() == size);
    std::memset(buffer.get(), kMark, size);
    CHECK(std::to_integer<int>(buffer.get()[size - 1]) == kMark);
  }
}

TEST_CASE("a mapping given back is reused by the next buffer of about its size", "[page_buffer]") {
  PageBuffer::LimitKept(8u << 20);
  GiveBackMarked(2u << 20);
  PageBuffer same(2u << 20);
  CHECK(Marked(same));
  same = PageBuffer();
  // A slightly smaller span fits in the same mapping.
  PageBuffer smaller((2u << 20) - 12345);
  CHECK(Marked(smaller));
  CHECK(smaller.size() == (2u << 20) - 12345);
}

TEST_CASE("a mapping much larger than asked for is not handed out", "[page_buffer]") {
  PageBuffer::LimitKept(8u << 20);
  GiveBackMarked(4u << 20);
  PageBuffer small(1u << 20);
  CHECK_FALSE(Marked(small));
  PageBuffer again(4u << 20);
  CHECK(Marked(again));
}

TEST_CASE("at most 8 MiB of mappings are kept, and dropping them empties the pool",
          "[page_buffer]") {
  PageBuffer::LimitKept(8u << 20);
  {
    std::vector<PageBuffer> buffers;
    for (int k = 0; k < 6; ++k) buffers.emplace_back(2u << 20);
    for (auto& b : buffers) b.get()[0] = std::byte{kMark};
  }
  // Four of the six 2 MiB mappings fit in 8 MiB; the other two were unmapped.
  std::vector<PageBuffer> again;
  int reused = 0;
  for (int k = 0; k < 6; ++k) {
    again.emplace_back(2u << 20);
    reused += Marked(again.back()) ? 1 : 0;
  }
  CHECK(reused == 4);
  again.clear();
  PageBuffer::LimitKept(8u << 20);
  PageBuffer fresh(2u << 20);
  CHECK_FALSE(Marked(fresh));
}

TEST_CASE("buffers are taken and given back from many threads at once", "[page_buffer]") {
  std::atomic<int> wrong{0};  // Catch's assertions are not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int k = 0; k < 200; ++k) {
        PageBuffer buffer((1u << 20) + static_cast<size_t>(t * 4096));
        std::memset(buffer.get(), t, buffer.size());
        if (std::to_integer<int>(buffer.get()[buffer.size() / 2]) != t) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
}
