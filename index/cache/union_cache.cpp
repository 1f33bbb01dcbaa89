#include "index/cache/union_cache.h"

#include <unistd.h>

#include <ctime>

#include "index/cache/cache_dir.h"
#include "index/cache/union_file.h"
#include "layers/base/hasher.h"

namespace imgmount {

namespace {

// Changes whenever union_file.h's format does, so that imgmount versions never share a file.
constexpr char kChainPrefix[] = "imgmount union tree, format 1\n";

void NoteUse(const std::string& dir, const std::string& stem, const std::string& image) {
  if (image.empty()) return;
  std::string ignored;  // a use that cannot be recorded only makes gc less informed
  RecordUse(dir + "/" + stem + ".used", image, "", static_cast<int64_t>(std::time(nullptr)),
            &ignored);
}

// The cache stems of `layers`, bottom first; nullopt if one has no entry in cache `dir`.
std::optional<std::vector<std::string>> LayerStems(
    const std::string& dir, const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  std::vector<std::string> stems;
  for (const auto& layer : layers) {
    const CacheEntryName& entry = layer->cache_entry();
    if (entry.dir.empty() || entry.dir != dir || entry.stem.empty()) return std::nullopt;
    stems.push_back(entry.stem);
  }
  return stems;
}

}  // namespace

std::string MissingLayerIndex(const std::string& dir, const std::vector<std::string>& stems) {
  for (const std::string& stem : stems) {
    if (::access((dir + "/" + stem + ".idx").c_str(), F_OK) != 0) return stem;
  }
  return "";
}

std::string UnionChainId(const std::vector<std::string>& stems) {
  std::string text = kChainPrefix + std::to_string(stems.size()) + "\n";
  for (const std::string& stem : stems) text += stem + "\n";
  Hasher hash;
  hash.Update(std::as_bytes(std::span(text)));
  return hash.Finish();
}

std::shared_ptr<const UnionTree> LoadCachedUnion(
    const std::string& dir, const std::vector<std::shared_ptr<const LayerIndex>>& layers,
    const std::string& image, const WarningSink& warn) {
  auto stems = LayerStems(dir, layers);
  if (!stems) return nullptr;
  std::string chain = UnionChainId(*stems);
  std::string stem = UnionStem(chain);
  std::string path = dir + "/" + stem + ".union";
  std::string why;
  auto loaded = ReadUnionFile(path, chain, *stems, layers, &why);
  if (!loaded) {
    if (!why.empty() && warn) {
      warn("cached union tree " + path + " is unusable (" + why + "); building it again");
    }
    return nullptr;
  }
  if (warn) {
    for (const std::string& warning : loaded->warnings) warn(warning);
  }
  NoteUse(dir, stem, image);
  return loaded->tree;
}

void StoreCachedUnion(const std::string& dir, const UnionTree& tree,
                      const std::vector<std::string>& warnings, const std::string& image,
                      const WarningSink& warn) {
  auto stems = LayerStems(dir, tree.layers());
  if (!stems) return;
  // A layer whose index could not be stored (reported by IndexCache) leaves nothing to key on.
  if (!MissingLayerIndex(dir, *stems).empty()) return;
  std::string chain = UnionChainId(*stems);
  std::string stem = UnionStem(chain);
  std::string why;
  auto lock = EntryLock::Acquire(dir, stem, false, &why);
  if (!lock) {
    if (why != "busy" && warn) warn("union tree not kept in the index cache: " + why);
    return;
  }
  if (!WriteUnionFile(dir + "/" + stem + ".union", tree, chain, *stems, warnings, &why)) {
    if (warn) warn("union tree not kept in the index cache: " + why);
    return;
  }
  NoteUse(dir, stem, image);
}

}  // namespace imgmount
