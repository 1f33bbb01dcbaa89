#include "index/union/path_history.h"

#include "index/union/union_builder.h"
#include "layers/base/member_path.h"

namespace imgmount {
namespace {

bool IsAncestor(std::string_view ancestor, std::string_view path) {
  if (ancestor.empty()) return !path.empty();
  return path.size() > ancestor.size() && path.starts_with(ancestor) &&
         path[ancestor.size()] == '/';
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
        std::string target = WhiteoutTarget(member_path);
        if (target == path) {
          event.kind = PathEvent::Kind::kWhiteout;
          found.push_back(event);
        } else if (IsAncestor(target, path)) {
          event.kind = PathEvent::Kind::kParentDeleted;
          event.detail = target;
          found.push_back(event);
        }
      } else if (kind == PathKind::kOpaque && IsAncestor(ParentPath(member_path), path)) {
        event.kind = PathEvent::Kind::kParentOpaque;
        event.detail = std::string(ParentPath(member_path));
        found.push_back(event);
      }
    }
    events.insert(events.end(), found.begin(), found.end());
  }
  return events;
}

}  // namespace imgmount
