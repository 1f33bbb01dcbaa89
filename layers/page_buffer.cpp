#include "layers/page_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "layers/error.h"

namespace imgmount {

namespace {

// Smaller buffers come from the heap: many tiny spans would each cost a mapping (the kernel allows
// about 65k per process), and the heap gives small blocks back well enough.
constexpr size_t kMapFrom = 256 * 1024;

}  // namespace

PageBuffer::PageBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  if (size < kMapFrom) {
    data_ = new std::byte[size];
    return;
  }
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  mapped_ = (size + page - 1) / page * page;
  // MAP_POPULATE faults every page in one call: cheaper than a fault per page while decoding.
  void* map = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (map == MAP_FAILED) {
    int err = errno;
    throw Error(ErrorKind::kIo, err,
                "cannot map " + std::to_string(size) + " bytes for a decoded span");
  }
  data_ = static_cast<std::byte*>(map);
}

PageBuffer::~PageBuffer() {
  Release();
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void PageBuffer::Release() noexcept {
  if (mapped_ > 0) {
    ::munmap(data_, mapped_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

}  // namespace imgmount
