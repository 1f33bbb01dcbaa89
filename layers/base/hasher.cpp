#include "layers/base/hasher.h"

#include <openssl/evp.h>

#include <algorithm>

#include "layers/base/error.h"

namespace imgmount {

namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxQueued = 8;

}  // namespace

Hasher::Hasher(DigestAlgorithm algorithm) : ctx_(EVP_MD_CTX_new()), algorithm_(algorithm) {
  const EVP_MD* md = algorithm == DigestAlgorithm::kSha512 ? EVP_sha512() : EVP_sha256();
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: cannot start a digest");
  }
}

Hasher::~Hasher() {
  EVP_MD_CTX_free(ctx_);
}

void Hasher::Update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: digest update failed");
  }
}

std::string Hasher::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1) {
    throw Error(ErrorKind::kInternal, EIO, "OpenSSL: digest final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = std::string(DigestAlgorithmName(algorithm_)) + ":";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

BackgroundHasher::BackgroundHasher(DigestAlgorithm algorithm)
    : Hasher(algorithm), thread_([this] { Loop(); }) {}

BackgroundHasher::~BackgroundHasher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BackgroundHasher::Update(std::span<const std::byte> bytes) {
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

std::string BackgroundHasher::Finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return Hasher::Finish();
}

void BackgroundHasher::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // the digest is no longer wanted
    std::vector<std::byte> chunk = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Hasher::Update(chunk);
    lock.lock();
    busy_ = false;
    if (spare_.size() < kMaxQueued) spare_.push_back(std::move(chunk));
    cv_.notify_all();
  }
}

}  // namespace imgmount
