#include "index/path_history.h"

#include "index/union_builder.h"

namespace imgmount {
namespace {

bool IsAncestor(std::string_view ancestor, std::string_view path) {
  if (ancestor.empty()) return !path.empty();
  return path.size() > ancestor.size() && path.starts_with(ancestor) &&
         path[ancestor.size()] == '/';
}

std::string_view Parent(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string WhitedOut(std::string_view marker) {
  std::string_view parent = Parent(marker);
  std::string_view name =
      marker.substr(marker.rfind('/') == std::string_view::npos ? 0 : marker.rfind('/') + 1);
  name.remove_prefix(4);  // ".wh."
  return parent.empty() ? std::string(name) : std::string(parent) + "/" + std::string(name);
}

}  // namespace

const char* MemberTypeName(MemberType type) {
  switch (type) {
    case MemberType::kRegular:
      return "regular file";
    case MemberType::kDirectory:
      return "directory";
    case MemberType::kSymlink:
      return "symlink";
    case MemberType::kHardlink:
      return "hardlink";
    case MemberType::kCharDevice:
      return "character device";
    case MemberType::kBlockDevice:
      return "block device";
    case MemberType::kFifo:
      return "fifo";
  }
  return "entry";
}

std::vector<PathEvent> PathHistory(const std::vector<std::shared_ptr<const LayerIndex>>& layers,
                                   std::string_view path) {
  std::vector<PathEvent> events;
  std::string reason;
  for (uint32_t l = 0; l < layers.size(); ++l) {
    const LayerIndex& layer = *layers[l];
    std::vector<PathEvent> found;
    int added = -1;
    for (uint32_t i = 0; i < layer.size(); ++i) {
      std::string_view member_path = layer.path(i);
      PathKind kind = ClassifyPath(member_path, reason);
      PathEvent event;
      event.layer = l;
      if (kind == PathKind::kEntry && member_path == path) {
        TarMember m = layer.member(i);
        event.type = m.type;
        if (m.type == MemberType::kHardlink) event.detail = std::string(m.link_target);
        if (added >= 0) {
          found[static_cast<size_t>(added)] = event;  // the last duplicate wins
        } else {
          added = static_cast<int>(found.size());
          found.push_back(event);
        }
      } else if (kind == PathKind::kEntry && IsAncestor(member_path, path) &&
                 layer.type(i) != MemberType::kDirectory) {
        event.kind = PathEvent::Kind::kParentReplaced;
        event.detail = std::string(member_path);
        found.push_back(event);
      } else if (kind == PathKind::kWhiteout) {
        std::string target = WhitedOut(member_path);
        if (target == path) {
          event.kind = PathEvent::Kind::kWhiteout;
          found.push_back(event);
        } else if (IsAncestor(target, path)) {
          event.kind = PathEvent::Kind::kParentDeleted;
          event.detail = target;
          found.push_back(event);
        }
      } else if (kind == PathKind::kOpaque && IsAncestor(Parent(member_path), path)) {
        event.kind = PathEvent::Kind::kParentOpaque;
        event.detail = std::string(Parent(member_path));
        found.push_back(event);
      }
    }
    events.insert(events.end(), found.begin(), found.end());
  }
  return events;
}

}  // namespace imgmount
