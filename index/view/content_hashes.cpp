#include "index/view/content_hashes.h"

#include "index/cache/cache_dir.h"
#include "index/layer/member_data.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"

namespace imgmount {

namespace {

constexpr size_t kReadBytes = 1 << 20;

std::string SumsPath(const CacheEntryName& entry) {
  return entry.dir + "/" + entry.stem + ".sums";
}

// "sha256:<64 hex>" as raw bytes.
ContentHash FromHex(const std::string& digest) {
  ContentHash out{};
  std::string_view hex = std::string_view(digest).substr(digest.find(':') + 1);
  auto nibble = [](char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
  for (size_t i = 0; i < out.size() && 2 * i + 1 < hex.size(); ++i) {
    out[i] = static_cast<uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

}  // namespace

ContentHashes::ContentHashes(WarningSink warn, WarningSink info)
    : warn_(std::move(warn)), info_(std::move(info)) {}

ContentHashes::LayerHashes& ContentHashes::Load(const LayerIndex& layer) {
  auto [it, inserted] = layers_.try_emplace(&layer);
  const CacheEntryName& entry = layer.cache_entry();
  if (!inserted || entry.dir.empty()) return it->second;
  std::string why;
  auto records = ReadContentHashFile(SumsPath(entry), entry.stem, layer, &why);
  if (records) {
    for (const HashRecord& r : *records) it->second.hashes.emplace(r.member, r.hash);
  } else if (!why.empty() && warn_) {
    warn_(layer.name() + ": cached content hashes " + SumsPath(entry) + " are unusable (" + why +
          "); hashing again");
  }
  return it->second;
}

ContentHash ContentHashes::Compute(const LayerIndex& layer, uint32_t member) {
  if (member >= layer.size() || layer.type(member) != MemberType::kRegular) {
    throw Error(ErrorKind::kInternal, EINVAL,
                layer.name() + ": member " + std::to_string(member) + " is no regular file");
  }
  const TarMember m = layer.member(member);
  if (buffer_.empty()) buffer_.resize(kReadBytes);
  Hasher sha;
  for (uint64_t offset = 0; offset < m.size;) {
    size_t n = ReadMemberData(layer, m, offset, buffer_);
    if (n == 0) {
      throw Error(ErrorKind::kBadImage, EIO,
                  layer.name() + ": /" + std::string(m.path) + " ends before its size");
    }
    sha.Update(std::span(buffer_.data(), n));
    offset += n;
    counts_.bytes_read += n;
  }
  ++counts_.computed;
  return FromHex(sha.Finish());
}

ContentHash ContentHashes::Of(const LayerIndex& layer, uint32_t member) {
  LayerHashes& state = Load(layer);
  if (auto it = state.hashes.find(member); it != state.hashes.end()) {
    ++counts_.reused;
    return it->second;
  }
  ContentHash hash = Compute(layer, member);
  state.hashes.emplace(member, hash);
  state.fresh = true;
  return hash;
}

void ContentHashes::SaveLayer(const LayerIndex& layer, LayerHashes& state) {
  const CacheEntryName& entry = layer.cache_entry();
  std::string why;
  auto lock = EntryLock::Acquire(entry.dir, entry.stem, false, &why);
  if (lock) {
    // Another process may have added hashes since Load: keep theirs and ours.
    std::map<uint32_t, HashRecord> merged;
    std::string ignored;
    if (auto records = ReadContentHashFile(SumsPath(entry), entry.stem, layer, &ignored)) {
      for (const HashRecord& r : *records) merged.emplace(r.member, r);
    }
    for (const auto& [member, hash] : state.hashes) {
      merged[member] = MakeHashRecord(layer, member, hash);
    }
    std::vector<HashRecord> records;
    records.reserve(merged.size());
    for (const auto& [member, record] : merged) records.push_back(record);
    if (WriteContentHashFile(SumsPath(entry), entry.stem, layer.size(), records, &why)) {
      ++counts_.files_written;
      state.fresh = false;
      return;
    }
  }
  if (info_) info_(layer.name() + ": content hashes not kept in the cache (" + why + ")");
}

void ContentHashes::Save() {
  for (auto& [layer, state] : layers_) {
    if (state.fresh && !layer->cache_entry().dir.empty()) SaveLayer(*layer, state);
  }
}

}  // namespace imgmount
