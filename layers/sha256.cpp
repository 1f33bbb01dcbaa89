#include "layers/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

#include "layers/error.h"

namespace imgmount {

namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxQueued = 8;

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: cannot start a SHA-256 digest");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::Update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: SHA-256 update failed");
  }
}

std::string Sha256::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1) {
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: SHA-256 final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

BackgroundSha256::BackgroundSha256() : thread_([this] { Loop(); }) {}

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BackgroundSha256::Update(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    auto piece = bytes.first(std::min(bytes.size(), kChunkBytes));
    bytes = bytes.subspan(piece.size());
    std::vector<std::byte> chunk;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    chunk.assign(piece.begin(), piece.end());
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(chunk));
    }
    cv_.notify_all();
  }
}

std::string BackgroundSha256::Finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return Sha256::Finish();
}

void BackgroundSha256::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // the digest is no longer wanted
    std::vector<std::byte> chunk = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Sha256::Update(chunk);
    lock.lock();
    busy_ = false;
    if (spare_.size() < kMaxQueued) spare_.push_back(std::move(chunk));
    cv_.notify_all();
  }
}

}  // namespace imgmount
