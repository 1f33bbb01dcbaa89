#include "layers/source/page_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "layers/base/error.h"

namespace imgmount {

namespace {

// Smaller buffers come from the heap: many tiny spans would each cost a mapping (the kernel allows
// about 65k per process), and the heap gives small blocks back well enough.
constexpr size_t kMapFrom = 256 * 1024;

// Mappings given back are kept for reuse up to a limit (PageBuffer::LimitKept): a sequential
// reader evicts a span for every span it decodes, and a fresh mapping costs its page faults and
// zeroing again (an eighth of the daemon's CPU time when reading a gzip layer at full speed).
constexpr size_t kDefaultKeptBytes = 8u << 20;

// Mappings waiting for reuse, shared by the whole process.
class RecycledMappings {
 public:
  // A kept mapping of at least `bytes` and at most a quarter more (spans differ a little in
  // size), or {nullptr, 0}.
  std::pair<void*, size_t> Take(size_t bytes) {
    std::lock_guard lock(mutex_);
    for (size_t k = 0; k < kept_.size(); ++k) {
      if (kept_[k].bytes < bytes || kept_[k].bytes - bytes > bytes / 4) continue;
      Mapping found = kept_[k];
      held_ -= found.bytes;
      kept_[k] = kept_.back();
      kept_.pop_back();
      return {found.map, found.bytes};
    }
    return {nullptr, 0};
  }

  // Unmaps every kept mapping, and from now on keeps at most `limit` bytes.
  void DropAll(size_t limit) {
    std::lock_guard lock(mutex_);
    for (const Mapping& m : kept_) ::munmap(m.map, m.bytes);
    kept_.clear();
    held_ = 0;
    limit_ = limit;
  }

  // Keeps `map` for reuse if there is room; returns false if the caller must unmap it.
  bool Keep(void* map, size_t bytes) {
    std::lock_guard lock(mutex_);
    if (held_ + bytes > limit_) return false;
    kept_.push_back({map, bytes});
    held_ += bytes;
    return true;
  }

 private:
  struct Mapping {
    void* map;
    size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Mapping> kept_;
  size_t held_ = 0;
  size_t limit_ = kDefaultKeptBytes;
};

RecycledMappings& Recycled() {
  static RecycledMappings* recycled = new RecycledMappings;  // never destroyed: used at exit
  return *recycled;
}

}  // namespace

PageBuffer::PageBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  if (size < kMapFrom) {
    data_ = new std::byte[size];
    return;
  }
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  mapped_ = (size + page - 1) / page * page;
  if (auto [kept, bytes] = Recycled().Take(mapped_); kept != nullptr) {
    data_ = static_cast<std::byte*>(kept);
    mapped_ = bytes;
    return;
  }
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

void PageBuffer::LimitKept(size_t bytes) {
  Recycled().DropAll(bytes);
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
    if (!Recycled().Keep(data_, mapped_)) ::munmap(data_, mapped_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

}  // namespace imgmount
