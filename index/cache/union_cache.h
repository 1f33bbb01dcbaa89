// The union trees the index cache keeps beside the layer indexes (union_file.h), so that a warm
// mount maps the union of its layers instead of building it.
//
// Keys. A union is filed under its chain id: SHA-256 over the union format's version, the
// number of layers and the cache entry stem of each layer, bottom first, in the spirit of the
// chain ids of containerd and the OCI image spec. Images that share their lower layers but not
// their top, and an --upto cut of an image, have other chains, so other files; identical stacks
// (the same image twice, a retag) share one. Only layers whose indexes have a cache entry take
// part: a union over any layer kept in memory only is built every time and never stored.
// File names are "union-<64 hex>.union" (cache_dir.h).
//
// Staleness. The file records a fingerprint of each layer index's tables (union_file.h); a union
// is used only over exactly those tables, so a layer index that was evicted and rebuilt, or
// replaced, makes the union be built again (and the file replaced). `cache gc` removes unions
// whose layer indexes are gone (cache_admin.h).
//
// Concurrency. Files are written to a temporary name and renamed into place while holding the
// entry's lock (not waited for: if another process holds it, that one is writing the same tree),
// so readers, which take no lock, see a whole file or none.
//
// Failures. A file that is corrupt, of another version or made for other tables is ignored with
// a warning naming it and why, and the union built and stored again: never served. A loaded
// union is not held to IMGMOUNT_MAX_ENTRIES again (that limit bounds the builder's memory; a
// mapped tree costs none to build), and the warnings its build gave are replayed on each load.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/union/union_tree.h"
#include "layers/base/error.h"

namespace imgmount {

/// The chain id ("sha256:<hex>") of the layers with cache entry stems `stems`, bottom first.
std::string UnionChainId(const std::vector<std::string>& stems);

/// The first of the layer entry `stems` whose index file is not in cache `dir` ("" if none): a
/// union over it is never used, and never stored.
std::string MissingLayerIndex(const std::string& dir, const std::vector<std::string>& stems);

/// The union of `layers` from cache `dir` if a valid file is there: its build's warnings are
/// replayed to `warn` and the use by `image` is recorded. Null if there is none (`warn` hears
/// why an existing file is unusable).
std::shared_ptr<const UnionTree> LoadCachedUnion(
    const std::string& dir, const std::vector<std::shared_ptr<const LayerIndex>>& layers,
    const std::string& image, const WarningSink& warn);

/// Stores `tree`, whose build gave `warnings`, in cache `dir` if the index files of all its
/// layers are there, recording the use by `image`; a failure to write is reported to `warn`.
void StoreCachedUnion(const std::string& dir, const UnionTree& tree,
                      const std::vector<std::string>& warnings, const std::string& image,
                      const WarningSink& warn);

}  // namespace imgmount
