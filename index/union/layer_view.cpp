#include "index/union/layer_view.h"

#include <algorithm>

#include "index/union/union_builder.h"
#include "layers/base/member_path.h"

namespace imgmount {

LayerView::LayerView(std::shared_ptr<const LayerIndex> layer) : layer_(std::move(layer)) {
  std::string reason;
  for (uint32_t i = 0; i < layer_->size(); ++i) {
    std::string_view path = layer_->path(i);
    switch (ClassifyPath(path, reason)) {
      case PathKind::kEntry:
        entries_.emplace_back(path, i);
        all_paths_.push_back(path);
        break;
      case PathKind::kWhiteout:
        whiteouts_.push_back(WhiteoutTarget(path));
        all_paths_.push_back(path);
        break;
      case PathKind::kOpaque:
        opaques_.push_back(ParentPath(path));
        all_paths_.push_back(path);
        break;
      case PathKind::kHidden:
      case PathKind::kInvalid:
        break;
    }
  }
  // Stable sort keeps tar order among duplicates; the last of each run wins.
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string_view, uint32_t>> last;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i + 1 < entries_.size() && entries_[i + 1].first == entries_[i].first) continue;
    last.push_back(entries_[i]);
  }
  entries_ = std::move(last);
  std::sort(all_paths_.begin(), all_paths_.end());
  std::sort(whiteouts_.begin(), whiteouts_.end());
  std::sort(opaques_.begin(), opaques_.end());
}

std::optional<uint32_t> LayerView::Entry(std::string_view path) const {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), path,
                       [](const auto& entry, std::string_view key) { return entry.first < key; });
  if (it == entries_.end() || it->first != path) return std::nullopt;
  return it->second;
}

bool LayerView::HasBelow(std::string_view path) const {
  if (path.empty()) return !all_paths_.empty();
  std::string prefix(path);
  prefix += '/';
  auto it = std::lower_bound(all_paths_.begin(), all_paths_.end(), std::string_view(prefix));
  return it != all_paths_.end() && it->starts_with(prefix);
}

bool LayerView::WhitesOut(std::string_view path) const {
  return std::binary_search(
      whiteouts_.begin(), whiteouts_.end(), path,
      [](const auto& a, const auto& b) { return std::string_view(a) < std::string_view(b); });
}

bool LayerView::Opaque(std::string_view path) const {
  return std::binary_search(opaques_.begin(), opaques_.end(), path);
}

}  // namespace imgmount
