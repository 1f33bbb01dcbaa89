// The persistent, shared index cache: a layer is indexed once and its index is then mapped by
// every image that uses it, and a whole-file-compressed archive is decoded once.
//
// Keys. A layer is filed under its digest (the blob digest when the manifest states it, else the
// diff_id), and shared by every image only if indexing verified that it is the digest of the blob
// itself: access points describe one encoding, so a diff_id that only matches the uncompressed
// content (docker-archive layers of unknown blob digest) does not make an entry shareable. A layer
// whose digest could not be verified (an uncompressed layer, whose data indexing skips) is filed
// under a key bound to the image file it came from, so that a crafted image claiming a popular
// digest can never lend its index to another image. An outer archive is filed under its file's
// identity (device, inode, size, mtime in ns). File names are made only from validated digests or
// hashes computed here (cache_dir.h).
//
// Every index handed out names its entry (LayerIndex::cache_entry), so that what is computed
// later about the same content (content_hash_file.h) is kept beside it under the same rules.
//
// Concurrency. Entries are only ever replaced by rename, so a reader maps a whole file. A miss
// takes the entry's lock (flock), loads again (another process may just have built it), and only
// then builds and stores, holding the lock: two processes never index one layer at once, and the
// second one loads the first one's result.
//
// Staleness. Each use of an entry records the identity (inode, size, mtime in ns) of the file that
// held the blob (cache_dir.h, STEM.used). When the same image comes back with that file changed,
// the entry is not trusted: the layer is indexed, and so verified, again, so that nothing reports
// "complete" for bytes that are no longer those that were checked. An image that has not used a
// shared entry with its blob's file as it is now shares it only once its blob hashes to the
// entry's digest: a crafted image claiming a popular digest gets a digest mismatch, as
// indexing would give it, and never another layer's table of contents.
//
// Failures. An entry that is missing, truncated, corrupt, of another version, that does not fit
// the blob or whose blob changed since is rebuilt (with a warning if it existed). A cache directory
// that cannot be created or written (read-only, full) is reported once; indexes then live in memory
// only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "index/cache/index_file.h"
#include "index/layer/layer_index.h"
#include "layers/base/error.h"
#include "layers/image/archive_index.h"
#include "layers/image/image.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// One cache directory, used by the threads of one image opening.
class IndexCache {
 public:
  /// A cache in `dir`, created when first written; problems with it are reported to `warn`.
  IndexCache(std::string dir, WarningSink warn);

  /// What Layer() asks for.
  struct LayerRequest {
    /// The blob to index.
    const LayerBlob* blob = nullptr;
    /// Name in messages ("layer 2 (sha256:ab12..)").
    std::string name;
    /// Identity of the blob's bytes (image file and place in it) for an unverified entry; ""
    /// if unknown (then an unverified index is not kept).
    std::string origin;
    /// Absolute path of the image, recorded as a user of the entry.
    std::string image;
    /// Identity (inode, size, mtime) of the file holding the blob, recorded with the use: an
    /// entry this image used while its file had another identity is indexed again. "" if unknown.
    std::string blob_identity;
    /// Tunables of the decode pass and of the reopened stream.
    DecodeOptions decode;
    /// Receives warnings about the layer's members while indexing.
    WarningSink warn;
  };

  /// A layer index and where it came from.
  struct LayerResult {
    /// The index.
    std::shared_ptr<const LayerIndex> index;
    /// True if it was loaded from the cache, false if the layer was indexed.
    bool from_cache = false;
  };

  /// The index of request.blob: loaded from the cache if a valid entry exists, else built with
  /// IndexLayer and stored. Throws what IndexLayer throws.
  LayerResult Layer(const LayerRequest& request);

  /// The cached index file of request.blob if one exists that Layer() would load without
  /// indexing or hashing the blob: a bound entry of this blob's bytes, or a shared entry this
  /// image used before with its blob's file as it is now. Never builds, writes or records a use,
  /// and reads no blob byte unless an entry file exists (then only the magic bytes).
  std::optional<LayerIndexFile> Peek(const LayerRequest& request) const;

  /// Hooks for OpenTarFiles that keep the index of the archive file with `identity` and
  /// `file_size` bytes; `name` names it in messages, `image` is recorded as its user, and
  /// `*loaded` is set when the index comes from the cache. The entry stays locked from a miss
  /// until the index is stored or the hooks are destroyed.
  ArchiveIndexHooks ArchiveHooks(const std::string& identity, uint64_t file_size,
                                 const std::string& name, const std::string& image, bool* loaded);

  /// The directory.
  const std::string& dir() const { return dir_; }

 private:
  std::shared_ptr<const LayerIndex> TryLoad(const std::string& stem, const LayerRequest& request,
                                            const std::string& key, std::string* why) const;
  // Writes the entry (and its local copy); false (reported) if it could not.
  bool Store(const std::string& stem, const LayerIndex& index, const std::string& key,
             const std::string& origin, bool verified,
             const std::shared_ptr<const ScratchFile>& copy);
  // Persists `copy` as a new local copy of `stem`; its file name, or "" on failure.
  std::string PersistCopy(const std::string& stem, const ScratchFile& copy);
  // Removes the local copies of `stem` other than `keep`.
  void RemoveOtherCopies(const std::string& stem, const std::string& keep) const;
  // Whether the directory exists or could be made; reports the first failure.
  bool Writable();
  // Why `request.image` may not use entry `stem` since its blob changed since its last use; "".
  std::string ChangedSince(const std::string& stem, const LayerRequest& request) const;
  // Whether `request.image` used entry `stem` before with its blob's file as it is now.
  bool UsedBefore(const std::string& stem, const LayerRequest& request) const;
  void NoteUse(const std::string& stem, const std::string& image, const std::string& blob = "");
  // Reports a failure to write to the cache, once per cache.
  void WriteFailed(const std::string& why);
  std::string PathOf(const std::string& file) const { return dir_ + "/" + file; }

  std::string dir_;
  WarningSink warn_;
  std::mutex mu_;
  int writable_ = -1;  // unknown, 0 or 1; guarded by mu_
  std::atomic<bool> warned_{false};
};

}  // namespace imgmount
