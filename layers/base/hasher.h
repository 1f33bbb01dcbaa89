// Content digests (SHA-256, or SHA-512 where an image names one) through OpenSSL's EVP interface
// (which uses SHA-NI where the CPU has it), inline or on a background thread so that hashing
// overlaps decoding.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "layers/base/digest.h"

struct evp_md_ctx_st;

namespace imgmount {

/// An incremental digest computation producing digests in the "sha256:<hex>" (or "sha512:<hex>")
/// form.
class Hasher {
 public:
  /// Starts an empty computation; throws kInternal if OpenSSL cannot.
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  virtual ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  /// Adds bytes to the digest.
  virtual void Update(std::span<const std::byte> bytes);

  /// Ends the computation and returns "<algorithm>:<lower-case hex digits>"; call once.
  virtual std::string Finish();

 private:
  evp_md_ctx_st* ctx_;
  DigestAlgorithm algorithm_;
};

/// A digest computed on its own thread: Update copies the bytes and returns at once (waiting
/// only while 8 MiB are queued), Finish waits for the queue to drain. Destroying it without
/// Finish drops what is queued.
class BackgroundHasher final : public Hasher {
 public:
  /// Starts the computation and its thread.
  explicit BackgroundHasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  ~BackgroundHasher() override;

  void Update(std::span<const std::byte> bytes) override;
  std::string Finish() override;

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<std::byte>> queue_;
  std::vector<std::vector<std::byte>> spare_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace imgmount
