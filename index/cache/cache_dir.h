// The index cache's directory: where it is, file names derived only from validated digests or
// from hashes computed here, per-entry locks between processes, and the records of which images
// used an entry. One flat directory:
//
//   CACHEDIR.TAG              marks the directory as a cache for backup tools
//   STEM.idx                  the index (layer: index_file.h; archive:
//                             layers/image/archive_index.h)
//   STEM.union                the union tree of a chain of layers (union_file.h)
//   STEM.HEX16.zst            a persisted local copy, named by the index that uses it
//   STEM.sums                 content hashes of the layer's files, made on demand by `diff`
//                             (content_hash_file.h)
//   STEM.lock                 flock()ed while the entry is built, replaced or removed
//   STEM.used                 "TIME IMAGE[\tBLOB]" lines, most recent first, at most 8 images;
//                             BLOB is the identity of the file holding the layer's blob when that
//                             image last used the entry (see IndexCache: a blob that changed
//                             since is indexed again)
//
// STEM is "sha256-<64 hex>" (or "sha512-<128 hex>") for a layer shared by its digest,
// "bound-<64 hex>" (SHA-256 of digest and origin) for a layer whose digest could not be verified
// while indexing, so that it serves only the image file it was made from, "archive-<64 hex>"
// (SHA-256 of the file's identity) for the index of a compressed outer archive, and
// "union-<64 hex>" (the chain id, union_cache.h) for the union tree of a chain of layers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imgmount {

/// $XDG_CACHE_HOME/imgmount, else $HOME/.cache/imgmount (HOME from the password database if
/// unset); "" if neither is known.
std::string DefaultCacheDir();

/// Creates `dir` (and missing parents) and its CACHEDIR.TAG; false and `why` if it cannot.
bool EnsureCacheDir(const std::string& dir, std::string* why);

/// The stem of the entry shared by layer digest `digest`; nullopt unless the digest is valid.
std::optional<std::string> SharedStem(const std::string& digest);

/// The stem of the entry of layer `digest` bound to the blob bytes identified by `origin`.
std::string BoundStem(const std::string& digest, const std::string& origin);

/// The stem of the index of the outer archive file whose identity is `identity`.
std::string ArchiveStem(const std::string& identity);

/// The stem of the union tree filed under chain id `chain_id` ("sha256:<hex>", union_cache.h).
std::string UnionStem(const std::string& chain_id);

/// Whether `name` is a file name the cache may have written: a stem as above, then a suffix.
bool IsCacheFileName(const std::string& name);

/// The stem of a cache file name ("sha256-ab.idx" -> "sha256-ab"); "" if it is none.
std::string StemOf(const std::string& name);

/// A fresh name for a local copy of entry `stem`: STEM.HEX16.zst.
std::string NewCopyName(const std::string& stem);

/// An exclusive lock on one cache entry: flock() on STEM.lock, released when destroyed.
class EntryLock {
 public:
  /// Locks entry `stem` of `dir`, waiting for another holder when `wait`. Returns null and sets
  /// `why` if the lock file cannot be opened or made (read-only directory), or if another
  /// process holds it and !wait (why = "busy").
  static std::unique_ptr<EntryLock> Acquire(const std::string& dir, const std::string& stem,
                                            bool wait, std::string* why);
  ~EntryLock();
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;

  /// Removes the lock file while still holding the lock (when the entry itself goes away).
  void Unlink();

 private:
  EntryLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

/// One image that used an entry, and when.
struct UseRecord {
  /// Unix seconds.
  int64_t time = 0;
  /// Absolute path of the image.
  std::string image;
  /// Identity (inode, size, mtime) of the file holding the blob at that use; "" if unknown.
  std::string blob;
};

/// Records in the file `used_path` that `image`, whose blob file had identity `blob`, used the
/// entry at `now`: locked read, merge and rewrite; keeps the 8 most recent images. False and
/// `why` if the file cannot be written.
bool RecordUse(const std::string& used_path, const std::string& image, const std::string& blob,
               int64_t now, std::string* why);

/// The records in `used_path`, most recent first (empty if there are none); bad lines skipped.
std::vector<UseRecord> ReadUses(const std::string& used_path);

}  // namespace imgmount
