// SHA-256 through OpenSSL's EVP interface (which uses SHA-NI where the CPU has it), inline or on
// a background thread so that hashing overlaps decoding.
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

struct evp_md_ctx_st;

namespace imgmount {

/// An incremental SHA-256 computation producing digests in the "sha256:<hex>" form.
class Sha256 {
 public:
  /// Starts an empty computation; throws kInternal if OpenSSL cannot.
  Sha256();
  virtual ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  /// Adds bytes to the digest.
  virtual void Update(std::span<const std::byte> bytes);

  /// Ends the computation and returns "sha256:<64 lower-case hex digits>"; call once.
  virtual std::string Finish();

 private:
  evp_md_ctx_st* ctx_;
};

/// A SHA-256 computed on its own thread: Update copies the bytes and returns at once (waiting
/// only while 8 MiB are queued), Finish waits for the queue to drain. Destroying it without
/// Finish drops what is queued.
class BackgroundSha256 final : public Sha256 {
 public:
  /// Starts the computation and its thread.
  BackgroundSha256();
  ~BackgroundSha256() override;

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
