// Memory for decoded spans taken straight from the kernel, so that it goes back to the system as
// soon as a span is evicted, whatever malloc's arenas and thresholds would keep; a few mappings
// are kept for reuse so that a steady stream of spans does not fault and zero fresh pages.
#pragma once

#include <cstddef>

namespace imgmount {

/// A writable buffer in an anonymous mapping of its own (below 256 KiB: on the heap), unmapped
/// when destroyed (or kept, up to a limit, for the next buffer of about the same size).
class PageBuffer {
 public:
  /// An empty buffer.
  PageBuffer() = default;
  /// A buffer of `size` bytes with their pages populated up front; throws Error on failure.
  explicit PageBuffer(size_t size);
  ~PageBuffer();
  /// Takes over `other`'s mapping, leaving it empty.
  PageBuffer(PageBuffer&& other) noexcept;
  /// Releases this buffer's mapping, then takes over `other`'s.
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  /// The first byte, or null for an empty buffer.
  std::byte* get() const { return data_; }

  /// Bytes usable from get().
  size_t size() const { return size_; }

  /// Unmaps every mapping kept for reuse, and from now on keeps at most `bytes` of them (8 MiB
  /// until this is called).
  static void LimitKept(size_t bytes);

 private:
  void Release() noexcept;

  std::byte* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // bytes mapped; 0 for a heap block
};

}  // namespace imgmount
