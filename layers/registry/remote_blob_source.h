// A blob in a registry as a byte source. Random reads are served from 1 MiB chunks aligned to a
// grid: a few recent ones kept in memory per blob, then the on-disk chunk cache
// (chunk_store.h), then the registry, each run of missing chunks with one ranged GET and
// several runs (or parts of a long run) at once on the client's connections. A pass over the
// whole blob (a large WillNeed, as the indexing pass gives, or the whole of a small blob) is
// served from one streamed GET to the end (blob_stream.h) instead, without storing the bytes;
// when that stream fails or ends early, reads fall back to ranges. A registry that answers a
// Range request with the whole blob (200) has the blob downloaded once into the cache
// directory (whole_blob.h), and every later read served from that file.
#pragma once

#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "layers/base/error.h"
#include "layers/registry/chunk_store.h"
#include "layers/registry/registry_client.h"
#include "layers/source/byte_source.h"

namespace imgmount {

class BlobStream;

/// The bytes of blob `digest` of the client's repository. Nothing is checked against the digest
/// here: that is the indexing pass's job, as for local blobs.
class RemoteBlobSource final : public ByteSource {
 public:
  /// A source of `size` bytes (as the registry states it) of blob `digest`, keeping chunks in
  /// `store` when it is not null.
  RemoteBlobSource(std::shared_ptr<const RegistryClient> client, std::string digest, uint64_t size,
                   std::shared_ptr<const ChunkStore> store);
  ~RemoteBlobSource() override;

  uint64_t Size() const override { return size_; }
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const override;
  std::string Describe() const override;
  void WillNeed(uint64_t offset, uint64_t length) const override;
  void Forget(uint64_t offset, uint64_t length) const override;

 private:
  using Chunk = std::shared_ptr<const std::string>;
  void ReadChunks(uint64_t offset, std::span<std::byte> dst) const;
  void ReadChunksOrEio(uint64_t offset, std::span<std::byte> dst) const;
  uint64_t FirstMissing(uint64_t begin, uint64_t end) const;
  void FetchChunks(const std::vector<uint64_t>& missing, std::vector<Chunk>& chunks,
                   uint64_t first) const;
  void FetchMissing(const std::vector<uint64_t>& missing, std::vector<Chunk>& chunks,
                    uint64_t first) const;
  void Landed(const std::vector<uint64_t>& indexes) const;
  Chunk Remembered(uint64_t index) const;
  Chunk Kept(uint64_t index) const;
  void Remember(uint64_t index, Chunk chunk) const;
  void FetchRun(uint64_t first, uint64_t count, std::vector<Chunk>& out, uint64_t base) const;
  uint64_t ChunkSize(uint64_t index) const;
  SourcePtr WholeBlob() const;
  void FetchWholeBlob() const;

  std::shared_ptr<const RegistryClient> client_;
  std::string digest_;
  uint64_t size_;
  std::shared_ptr<const ChunkStore> store_;
  mutable std::mutex mu_;
  /// Recently used chunks, most recent first.
  mutable std::list<std::pair<uint64_t, Chunk>> recent_;
  mutable std::shared_ptr<BlobStream> stream_;
  /// Chunks a reader is fetching; `landed_` is signalled when some arrive (or fail).
  mutable std::set<uint64_t> inflight_;
  mutable std::condition_variable landed_;
  /// Set once the registry answered a range request with the whole blob.
  mutable bool ranges_ignored_ = false;
  /// The blob's local file once downloaded whole.
  mutable SourcePtr whole_;
  /// Held while the blob is downloaded whole (one download for all readers).
  mutable std::mutex download_mu_;
  /// The last failed whole download and when it ended (under download_mu_): reads soon after it
  /// get its error instead of starting the whole download again.
  mutable std::optional<Error> download_failure_;
  mutable std::chrono::steady_clock::time_point download_failed_at_;
};

}  // namespace imgmount
