#include "index/cache/index_cache.h"

#include <dirent.h>
#include <unistd.h>

#include <ctime>
#include <vector>

#include "index/cache/cache_dir.h"
#include "index/cache/index_file.h"
#include "index/layer/tar_indexer.h"
#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/section_file.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/basic_sources.h"
#include "layers/source/scratch_file.h"
#include "layers/source/source_digest.h"

namespace imgmount {

namespace {

int64_t Now() {
  return static_cast<int64_t>(std::time(nullptr));
}

// Opens and checks the local copy `name` of entry `stem`; null and `why` if it does not fit.
SourcePtr OpenCopy(const std::string& dir, const std::string& stem, const std::string& name,
                   const StoredStream& stored, std::string* why) {
  if (name.empty()) return nullptr;
  if (StemOf(name) != stem || !name.ends_with(".zst") || name.find('/') != std::string::npos) {
    *why = "it names a foreign local copy";
    return nullptr;
  }
  try {
    SourcePtr copy = FileSource::Open(dir + "/" + name);
    *why = LocalCopyProblem(*copy, stored);
    return why->empty() ? copy : nullptr;
  } catch (const Error& e) {
    *why = e.what();
    return nullptr;
  }
}

}  // namespace

IndexCache::IndexCache(std::string dir, WarningSink warn)
    : dir_(std::move(dir)), warn_(std::move(warn)) {}

bool IndexCache::Writable() {
  std::lock_guard lock(mu_);
  if (writable_ < 0) {
    std::string why;
    writable_ = EnsureCacheDir(dir_, &why) ? 1 : 0;
    if (writable_ == 0) {
      warned_ = true;
      if (warn_) warn_("index cache unusable (" + why + "); indexes are kept in memory only");
    }
  }
  return writable_ == 1;
}

void IndexCache::WriteFailed(const std::string& why) {
  if (!warned_.exchange(true) && warn_) {
    warn_("cannot write to the index cache (" + why + "); new indexes are kept in memory only");
  }
}

void IndexCache::NoteUse(const std::string& stem, const std::string& image,
                         const std::string& blob) {
  std::string why;
  if (!image.empty() && !RecordUse(PathOf(stem + ".used"), image, blob, Now(), &why)) {
    WriteFailed(why);
  }
}

std::string IndexCache::ChangedSince(const std::string& stem, const LayerRequest& request) const {
  if (request.image.empty() || request.blob_identity.empty()) return "";
  for (const UseRecord& use : ReadUses(PathOf(stem + ".used"))) {
    if (use.image != request.image) continue;
    if (use.blob.empty() || use.blob == request.blob_identity) return "";
    return "the blob's file changed since this image last used it (inode:size:mtime " + use.blob +
           " then, " + request.blob_identity + " now)";
  }
  return "";
}

bool IndexCache::UsedBefore(const std::string& stem, const LayerRequest& request) const {
  if (request.image.empty() || request.blob_identity.empty()) return false;
  // A registry blob's identity names the registry, the repository and the digest: once one
  // image of that repository was verified against the digest, the others need not be.
  bool registry = request.blob_identity.starts_with("registry ");
  for (const UseRecord& use : ReadUses(PathOf(stem + ".used"))) {
    if ((registry || use.image == request.image) && use.blob == request.blob_identity) return true;
  }
  return false;
}

std::shared_ptr<const LayerIndex> IndexCache::TryLoad(const std::string& stem,
                                                      const LayerRequest& request,
                                                      const std::string& key,
                                                      std::string* why) const {
  const SourcePtr& blob = request.blob->blob;
  *why = ChangedSince(stem, request);
  if (!why->empty()) return nullptr;
  auto file = ReadLayerIndexFile(PathOf(stem + ".idx"), blob->Size(), SniffCodec(*blob), why);
  if (!file) return nullptr;
  const LayerFileInfo& info = file->info;
  bool shared = stem.starts_with("sha");
  if (info.key != key || (shared ? !info.verified || !info.origin.empty()
                                 : info.verified || info.origin != request.origin)) {
    *why = "it is filed under another key";
    return nullptr;
  }
  SourcePtr copy = OpenCopy(dir_, stem, info.local_copy_name, file->stream, why);
  if (!why->empty()) return nullptr;
  SourcePtr stream;
  try {
    stream = OpenIndexed(blob, file->stream.index, request.name, request.decode, copy);
  } catch (const Error& e) {
    *why = e.what();
    return nullptr;
  }
  if (shared && !UsedBefore(stem, request)) {
    // An entry shared by digest, for a blob this image has not used yet: the blob must be what
    // the digest says (a crafted image may claim a popular digest) before the entry speaks
    // for it. Hashing the blob costs far less than indexing it again.
    std::string actual = DigestOfSource(*blob, AlgorithmOf(key));
    if (actual != key && key == request.blob->digest) {
      throw Error(
          ErrorKind::kIntegrity, EIO,
          request.name + ": blob digest mismatch: expected " + key + ", content has " + actual);
    }
    if (actual != key) {
      *why = "it describes other bytes than this blob's";
      return nullptr;
    }
  }
  auto index = std::make_shared<LayerIndex>(request.name, file->tables, file->owner);
  index->AttachStream(std::move(stream), std::move(file->stream.index), info.digests);
  index->SetCacheEntry({dir_, stem});
  return index;
}

std::optional<LayerIndexFile> IndexCache::Peek(const LayerRequest& request) const {
  const LayerBlob& blob = *request.blob;
  std::string key = !blob.digest.empty() ? blob.digest : blob.diff_id;
  auto shared = SharedStem(key);
  if (!shared) return std::nullopt;
  std::string bound = request.origin.empty() ? "" : BoundStem(key, request.origin);
  for (const std::string& stem : {*shared, bound}) {
    bool is_shared = stem == *shared;
    if (stem.empty() || ::access(PathOf(stem + ".idx").c_str(), F_OK) != 0) continue;
    if (is_shared ? !UsedBefore(stem, request) : !ChangedSince(stem, request).empty()) continue;
    std::string why;
    auto file =
        ReadLayerIndexFile(PathOf(stem + ".idx"), blob.blob->Size(), SniffCodec(*blob.blob), &why);
    if (!file) continue;
    const LayerFileInfo& info = file->info;
    bool filed_right =
        info.key == key && (is_shared ? info.verified && info.origin.empty()
                                      : !info.verified && info.origin == request.origin);
    if (filed_right) return file;
  }
  return std::nullopt;
}

std::string IndexCache::PersistCopy(const std::string& stem, const ScratchFile& copy) {
  std::string name = NewCopyName(stem);
  std::string path = PathOf(name);
  if (copy.LinkTo(path)) return name;
  // Another filesystem (or no O_TMPFILE): copy the bytes.
  std::string why;
  bool ok = WriteFileAtomically(
      path,
      [&copy](int fd) {
        std::vector<std::byte> buffer(1 << 20);
        for (uint64_t at = 0; at < copy.Size();) {
          size_t n = copy.ReadAt(at, buffer);
          if (n == 0 || !WriteAll(fd, std::span(buffer.data(), n))) return false;
          at += n;
        }
        return true;
      },
      &why);
  if (ok) return name;
  WriteFailed(why);
  return "";
}

void IndexCache::RemoveOtherCopies(const std::string& stem, const std::string& keep) const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != keep && StemOf(name) == stem && name.ends_with(".zst")) stale.push_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : stale) ::unlink(PathOf(name).c_str());
}

bool IndexCache::Store(const std::string& stem, const LayerIndex& index, const std::string& key,
                       const std::string& origin, bool verified,
                       const std::shared_ptr<const ScratchFile>& copy) {
  LayerFileInfo info;
  info.key = key;
  info.origin = verified ? "" : origin;
  info.verified = verified;
  info.digests = index.digests();
  info.created = Now();
  if (copy) {
    info.local_copy_name = PersistCopy(stem, *copy);
    if (info.local_copy_name.empty()) return false;
  }
  std::string why;
  bool replacing = ::access(PathOf(stem + ".idx").c_str(), F_OK) == 0;
  if (!WriteLayerIndexFile(PathOf(stem + ".idx"), index, info, copy ? copy->Size() : 0, &why)) {
    if (copy) ::unlink(PathOf(info.local_copy_name).c_str());
    WriteFailed(why);
    return false;
  }
  // Only an entry with a copy, or one replacing an older entry, can leave other copies behind:
  // listing the directory for every stored layer made indexing N new layers O(N^2).
  if (copy || replacing) RemoveOtherCopies(stem, info.local_copy_name);
  return true;
}

IndexCache::LayerResult IndexCache::Layer(const LayerRequest& request) {
  const LayerBlob& blob = *request.blob;
  std::string key = !blob.digest.empty() ? blob.digest : blob.diff_id;
  auto shared = SharedStem(key);
  if (!shared) {
    return {IndexLayer(blob, request.name, request.decode, request.warn), false};
  }
  std::string bound = request.origin.empty() ? "" : BoundStem(key, request.origin);
  auto attempt = [&](bool quiet) -> std::shared_ptr<const LayerIndex> {
    for (const std::string& stem : {*shared, bound}) {
      if (stem.empty()) continue;
      std::string why;
      if (auto index = TryLoad(stem, request, key, &why)) {
        NoteUse(stem, request.image, request.blob_identity);
        return index;
      }
      // Under a diff_id the shared entry may well describe the same content encoded otherwise.
      bool expected = stem == *shared && blob.digest.empty();
      if (!why.empty() && !quiet && !expected && warn_) {
        warn_(request.name + ": cached index " + PathOf(stem + ".idx") + " is unusable (" + why +
              "); indexing again");
      }
    }
    return nullptr;
  };
  if (auto index = attempt(false)) return {index, true};
  // A miss: take the entry's lock, then look again, since another process may have built it.
  std::unique_ptr<EntryLock> lock;
  if (Writable()) {
    std::string why;
    lock = EntryLock::Acquire(dir_, *shared, true, &why);
    if (!lock) WriteFailed(why);
  }
  if (lock) {
    if (auto index = attempt(true)) return {index, true};
  }
  std::shared_ptr<const ScratchFile> copy;
  auto index = IndexLayer(blob, request.name, request.decode, request.warn, &copy);
  // Shared only when the key names the blob's own bytes: access points and span checksums describe
  // one encoding, so a diff_id (the same content compressed another way) is not enough.
  bool verified = !index->digests().blob.empty() && key == index->digests().blob;
  std::string stem = verified ? *shared : bound;
  if (!stem.empty()) index->SetCacheEntry({dir_, stem});
  if (lock && !stem.empty() && Store(stem, *index, key, request.origin, verified, copy)) {
    NoteUse(stem, request.image, request.blob_identity);
  }
  return {index, false};
}

ArchiveIndexHooks IndexCache::ArchiveHooks(const std::string& identity, uint64_t file_size,
                                           const std::string& name, const std::string& image,
                                           bool* loaded) {
  struct State {
    std::unique_ptr<EntryLock> lock;
  };
  auto state = std::make_shared<State>();
  std::string stem = ArchiveStem(identity);
  auto attempt = [=, this](bool quiet) -> std::optional<LoadedArchive> {
    std::string why;
    auto file = ReadArchiveIndexFile(PathOf(stem + ".idx"), file_size, &why);
    if (file && file->identity != identity) why = "it was made for another file";
    SourcePtr copy;
    if (file && why.empty()) copy = OpenCopy(dir_, stem, file->local_copy_name, file->stored, &why);
    if (file && why.empty()) return LoadedArchive{std::move(file->index), std::move(copy)};
    if (!why.empty() && !quiet && warn_) {
      warn_(name + ": cached index " + PathOf(stem + ".idx") + " is unusable (" + why +
            "); indexing again");
    }
    return std::nullopt;
  };
  auto lock = [=, this] {
    std::string why;
    if (!state->lock && Writable()) {
      state->lock = EntryLock::Acquire(dir_, stem, true, &why);
      if (!state->lock) WriteFailed(why);
    }
  };
  ArchiveIndexHooks hooks;
  hooks.load = [=, this]() -> std::optional<LoadedArchive> {
    auto hit = attempt(false);
    if (!hit) {
      lock();
      if (state->lock) hit = attempt(true);
    }
    if (hit) {
      *loaded = true;
      NoteUse(stem, image);
    }
    return hit;
  };
  hooks.rejected = [=, this](const std::string& why) {
    *loaded = false;
    if (warn_)
      warn_(name + ": cached index does not fit the archive (" + why + "); indexing again");
    lock();
  };
  hooks.store = [=, this](const ArchiveIndex& index,
                          const std::shared_ptr<const ScratchFile>& copy) {
    if (!state->lock) return;
    std::string copy_name = copy ? PersistCopy(stem, *copy) : "";
    if (copy && copy_name.empty()) {
      state->lock.reset();
      return;
    }
    std::string why;
    if (!WriteArchiveIndexFile(PathOf(stem + ".idx"), index, identity, copy_name,
                               copy ? copy->Size() : 0, &why)) {
      if (copy) ::unlink(PathOf(copy_name).c_str());
      WriteFailed(why);
      state->lock.reset();
      return;
    }
    RemoveOtherCopies(stem, copy_name);
    NoteUse(stem, image);
    state->lock.reset();
  };
  return hooks;
}

}  // namespace imgmount
