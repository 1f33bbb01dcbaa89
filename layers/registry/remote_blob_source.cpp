#include "layers/registry/remote_blob_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "layers/base/error.h"
#include "layers/registry/blob_stream.h"
#include "layers/registry/whole_blob.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

// Chunks kept in memory per blob.
constexpr size_t kRecentChunks = 4;
// Requests one read sends at once.
constexpr uint64_t kParallelRequests = 4;
// A WillNeed at least this long is a pass over the blob.
constexpr uint64_t kPassHint = 8 << 20;
// How long a failed whole download answers reads with its error before one is tried again: a
// broken transfer, and bytes that did not match the digest.
constexpr auto kRetryDownloadAfter = std::chrono::seconds(2);
constexpr auto kRetryWrongBlobAfter = std::chrono::seconds(60);

}  // namespace

RemoteBlobSource::RemoteBlobSource(std::shared_ptr<const RegistryClient> client, std::string digest,
                                   uint64_t size, std::shared_ptr<const ChunkStore> store)
    : client_(std::move(client)),
      digest_(std::move(digest)),
      size_(size),
      store_(std::move(store)) {
  // A blob downloaded whole before (its registry ignores Range requests) is read from its file.
  std::string path = store_ ? store_->WholeBlobPath(digest_, false) : "";
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) == size_) {
    try {
      whole_ = FileSource::Open(path);
    } catch (const Error&) {
      whole_ = nullptr;  // removed meanwhile: read from the registry
    }
  }
}

RemoteBlobSource::~RemoteBlobSource() = default;

std::string RemoteBlobSource::Describe() const {
  return client_->reference().given + ": blob " + digest_;
}

uint64_t RemoteBlobSource::ChunkSize(uint64_t index) const {
  return std::min(kChunkBytes, size_ - index * kChunkBytes);
}

SourcePtr RemoteBlobSource::WholeBlob() const {
  std::lock_guard lock(mu_);
  return whole_;
}

void RemoteBlobSource::FetchWholeBlob() const {
  std::lock_guard download(download_mu_);
  if (WholeBlob()) return;
  // A download that failed moments ago is not started again for every read: bytes that did not
  // match wait longer than a transfer that broke (the registry may be back soon).
  auto now = std::chrono::steady_clock::now();
  if (download_failure_) {
    auto pause = download_failure_->kind() == ErrorKind::kIntegrity ? kRetryWrongBlobAfter
                                                                    : kRetryDownloadAfter;
    if (now - download_failed_at_ < pause) throw *download_failure_;
  }
  std::string path = store_ ? store_->WholeBlobPath(digest_, true) : "";
  SourcePtr whole;
  try {
    whole = DownloadWholeBlob(*client_, digest_, size_, path);
  } catch (const Error& error) {
    download_failure_ = error;
    download_failed_at_ = std::chrono::steady_clock::now();
    throw;
  }
  download_failure_.reset();
  // The stream is moved out under the lock and ends (joining its thread) after it is released,
  // so that reads waiting on mu_ are not held up by it.
  std::shared_ptr<BlobStream> old;
  {
    std::lock_guard lock(mu_);
    whole_ = std::move(whole);
    old = std::move(stream_);
    recent_.clear();
  }
}

void RemoteBlobSource::WillNeed(uint64_t offset, uint64_t length) const {
  if (offset >= size_) return;
  if (SourcePtr whole = WholeBlob()) return whole->WillNeed(offset, length);
  bool pass = length >= kPassHint || (offset == 0 && length >= size_);
  if (!pass) return;
  // The stream starts at the first chunk not kept (the first chunk usually is: the codec was
  // sniffed from it); reads of the kept ones before it come from memory or disk.
  uint64_t start = FirstMissing(offset, std::min(size_, offset + length));
  if (start >= std::min(size_, offset + length)) return;
  // A stream that already runs toward `start` serves it; one that ended or failed is replaced,
  // and ends (joining its thread) only after mu_ is released.
  std::shared_ptr<BlobStream> old;
  {
    std::lock_guard lock(mu_);
    if (stream_ && stream_->Reaches(start)) return;
    old = std::move(stream_);
    stream_ = std::make_shared<BlobStream>(client_, digest_, start, size_);
  }
}

uint64_t RemoteBlobSource::FirstMissing(uint64_t begin, uint64_t end) const {
  for (uint64_t i = begin / kChunkBytes; i * kChunkBytes < end; ++i) {
    bool in_memory = false;
    {
      std::lock_guard lock(mu_);
      for (const auto& entry : recent_) in_memory = in_memory || entry.first == i;
    }
    if (!in_memory && !(store_ && store_->Has(digest_, i))) return std::max(begin, i * kChunkBytes);
  }
  return end;
}

size_t RemoteBlobSource::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  if (offset >= size_ || dst.empty()) return 0;
  size_t length = static_cast<size_t>(std::min<uint64_t>(dst.size(), size_ - offset));
  dst = dst.first(length);
  std::shared_ptr<BlobStream> stream;
  bool download = false;
  {
    std::lock_guard lock(mu_);
    if (whole_) return whole_->ReadAt(offset, dst);
    stream = stream_;
    download = ranges_ignored_;
  }
  if (download) {
    FetchWholeBlob();
    return WholeBlob()->ReadAt(offset, dst);
  }
  size_t done = 0;
  if (stream && !stream->Serves(offset)) {
    // A read that ends in the stream and starts in chunks kept before it takes both.
    uint64_t position = stream->Position();
    if (position > offset && position < offset + length &&
        FirstMissing(offset, position) >= position) {
      done = static_cast<size_t>(position - offset);
      ReadChunksOrEio(offset, dst.first(done));
    }
  }
  if (stream && stream->Serves(offset + done)) {
    done += stream->Read(offset + done, dst.subspan(done));
    if (done < length) {
      // The stream ended or failed: the rest comes by ranges, which retry and report.
      std::lock_guard lock(mu_);
      if (stream_ == stream) stream_.reset();
    }
  }
  if (done < length) ReadChunksOrEio(offset + done, dst.subspan(done));
  return length;
}

void RemoteBlobSource::ReadChunksOrEio(uint64_t offset, std::span<std::byte> dst) const {
  try {
    ReadChunks(offset, dst);
  } catch (const Error& e) {
    // A reader (a FUSE read) gets EIO for any failure to fetch; the message says which.
    if (e.kind() != ErrorKind::kIo || e.errno_value() == EIO) throw;
    throw Error(ErrorKind::kIo, EIO, e.what());
  }
}

RemoteBlobSource::Chunk RemoteBlobSource::Remembered(uint64_t index) const {
  std::lock_guard lock(mu_);
  for (auto it = recent_.begin(); it != recent_.end(); ++it) {
    if (it->first != index) continue;
    recent_.splice(recent_.begin(), recent_, it);
    return it->second;
  }
  return nullptr;
}

void RemoteBlobSource::Remember(uint64_t index, Chunk chunk) const {
  std::lock_guard lock(mu_);
  recent_.remove_if([index](const auto& entry) { return entry.first == index; });
  recent_.emplace_front(index, std::move(chunk));
  if (recent_.size() > kRecentChunks) recent_.pop_back();
}

void RemoteBlobSource::FetchRun(uint64_t first, uint64_t count, std::vector<Chunk>& out,
                                uint64_t base) const {
  uint64_t begin = first * kChunkBytes;
  uint64_t end = std::min(size_, (first + count) * kChunkBytes);
  bool range_ignored = false;
  std::string bytes = client_->GetBlobRange(digest_, begin, end - begin, &range_ignored);
  if (range_ignored) {
    // The bytes are right (cut from the whole answer), but every range would cost the whole
    // blob again: the next read downloads it once (FetchWholeBlob).
    std::lock_guard lock(mu_);
    ranges_ignored_ = true;
  }
  if (bytes.size() != end - begin) {
    throw Error(ErrorKind::kIo, EIO,
                Describe() + ": the registry sent " + std::to_string(bytes.size()) +
                    " bytes for a range of " + std::to_string(end - begin) + " at offset " +
                    std::to_string(begin) + " (the blob is " + std::to_string(size_) + " bytes)");
  }
  for (uint64_t i = 0; i < count; ++i) {
    auto chunk = std::make_shared<const std::string>(bytes.substr(i * kChunkBytes, kChunkBytes));
    if (store_) store_->Put(digest_, first + i, *chunk);
    Remember(first + i, chunk);
    out[first + i - base] = std::move(chunk);
  }
}

void RemoteBlobSource::Landed(const std::vector<uint64_t>& indexes) const {
  std::lock_guard lock(mu_);
  for (uint64_t i : indexes) inflight_.erase(i);
  landed_.notify_all();
}

void RemoteBlobSource::FetchChunks(const std::vector<uint64_t>& missing, std::vector<Chunk>& chunks,
                                   uint64_t first) const {
  // Runs of consecutive missing chunks, long ones cut so that up to kParallelRequests go out.
  uint64_t most =
      std::max<uint64_t>(1, (missing.size() + kParallelRequests - 1) / kParallelRequests);
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (uint64_t i : missing) {
    if (!runs.empty() && runs.back().first + runs.back().second == i && runs.back().second < most) {
      ++runs.back().second;
    } else {
      runs.emplace_back(i, 1);
    }
  }
  if (runs.size() == 1) {
    FetchRun(runs[0].first, runs[0].second, chunks, first);
  } else if (!runs.empty()) {
    std::vector<std::future<void>> pending;
    for (const auto& run : runs) {
      uint64_t start = run.first;
      uint64_t count = run.second;
      pending.push_back(std::async(std::launch::async, [this, start, count, &chunks, first] {
        FetchRun(start, count, chunks, first);
      }));
    }
    for (auto& p : pending) p.wait();
    for (auto& p : pending) p.get();  // the first failure, after every request ended
  }
}

RemoteBlobSource::Chunk RemoteBlobSource::Kept(uint64_t index) const {
  if (Chunk chunk = Remembered(index)) return chunk;
  if (store_) {
    if (auto kept = store_->Get(digest_, index); kept && kept->size() == ChunkSize(index)) {
      return std::make_shared<const std::string>(std::move(*kept));
    }
  }
  return nullptr;
}

void RemoteBlobSource::FetchMissing(const std::vector<uint64_t>& missing,
                                    std::vector<Chunk>& chunks, uint64_t first) const {
  // Chunks another reader of this blob is fetching are waited for, not fetched twice (the
  // kernel sends several reads of neighbouring pages at once).
  std::vector<uint64_t> mine;
  std::vector<uint64_t> others;
  {
    std::lock_guard lock(mu_);
    for (uint64_t i : missing) (inflight_.insert(i).second ? mine : others).push_back(i);
  }
  try {
    FetchChunks(mine, chunks, first);
  } catch (...) {
    Landed(mine);
    throw;
  }
  Landed(mine);
  for (uint64_t i : others) {
    {
      std::unique_lock lock(mu_);
      landed_.wait(lock, [&] { return inflight_.count(i) == 0; });
    }
    chunks[i - first] = Kept(i);
    if (!chunks[i - first]) FetchChunks({i}, chunks, first);  // the other reader failed, or is gone
  }
}

void RemoteBlobSource::ReadChunks(uint64_t offset, std::span<std::byte> dst) const {
  uint64_t first = offset / kChunkBytes;
  uint64_t last = (offset + dst.size() - 1) / kChunkBytes;
  std::vector<Chunk> chunks(last - first + 1);
  std::vector<uint64_t> missing;
  for (uint64_t i = first; i <= last; ++i) {
    chunks[i - first] = Kept(i);
    if (!chunks[i - first]) missing.push_back(i);
  }
  if (!missing.empty()) FetchMissing(missing, chunks, first);
  size_t done = 0;
  for (uint64_t i = first; i <= last; ++i) {
    const std::string& chunk = *chunks[i - first];
    uint64_t at = offset + done - i * kChunkBytes;
    size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size() - at, dst.size() - done));
    std::memcpy(dst.data() + done, chunk.data() + at, n);
    done += n;
  }
  Remember(last, chunks.back());
  if (last != first) Remember(first, chunks.front());
}

void RemoteBlobSource::Forget(uint64_t offset, uint64_t length) const {
  if (length == 0 || offset >= size_) return;
  if (WholeBlob()) {
    // The local file's bytes failed a check: it is neither served nor kept any longer.
    if (store_) ::unlink(store_->WholeBlobPath(digest_, false).c_str());
    std::lock_guard lock(mu_);
    whole_ = nullptr;
  }
  uint64_t first = offset / kChunkBytes;
  uint64_t last = (std::min(size_, offset + length) - 1) / kChunkBytes;
  {
    std::lock_guard lock(mu_);
    recent_.remove_if([&](const auto& e) { return e.first >= first && e.first <= last; });
  }
  if (store_) {
    for (uint64_t i = first; i <= last; ++i) store_->Drop(digest_, i);
  }
}

}  // namespace imgmount
