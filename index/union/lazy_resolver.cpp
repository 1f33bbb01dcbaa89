// For a path P, layers are visited from the top down. The first layer that has P (an entry, or
// something below P, which makes P a directory there) supplies it, unless a layer above cut it
// off: a layer that does not have P hides the lower P when it whites out P or one of P's
// parents, marks a parent opaque, or replaces a parent by a non-directory. A directory that a
// layer only implies takes the attributes of the topmost explicit directory below it, if no cut
// lies between; a hardlink resolves its target as of its own layer (at most 40 links deep),
// and a link to nothing, to a directory or around a cycle hides the path, as in the full build.
#include "index/union/lazy_resolver.h"

#include "index/union/inode_numbers.h"

namespace imgmount {
namespace {

constexpr int kMaxLinkDepth = 40;

}  // namespace

uint64_t InoOf(const PathSource& source, std::string_view path) {
  if (source.type != MemberType::kDirectory) return MemberIno(source.layer, source.member);
  return path.empty() ? kRootIno : DirectoryIno(path);
}

PathSource LazyResolver::Resolve(std::string_view path) const {
  if (count_ == 0) return path.empty() ? PathSource{PathSource::Kind::kImpliedDir} : PathSource{};
  return ResolveAsOf(path, count_ - 1, {}, 0);
}

const LayerView* LazyResolver::AttributeView(uint32_t k) const {
  return try_view_ ? try_view_(k) : &view_(k);
}

PathSource LazyResolver::Root(uint32_t top) const {
  for (uint32_t k = top + 1; k-- > 0;) {
    const LayerView* view = AttributeView(k);
    if (view == nullptr)
      return {PathSource::Kind::kImpliedDir, kNoIndex, kNoIndex, MemberType::kDirectory, true};
    if (auto m = view->Entry("")) {
      if (view->layer().type(*m) == MemberType::kDirectory) {
        return {PathSource::Kind::kMember, k, *m, MemberType::kDirectory};
      }
    }
  }
  return {PathSource::Kind::kImpliedDir};
}

namespace {

// Whether the layer has a non-directory at one of the path's parents, not counting `hide`.
bool NonDirectoryAbove(const LayerView& view, std::string_view path, std::string_view hide = {}) {
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    std::string_view ancestor = path.substr(0, slash);
    if (ancestor == hide) continue;
    if (auto m = view.Entry(ancestor)) {
      if (view.layer().type(*m) != MemberType::kDirectory) return true;
    }
  }
  return false;
}

}  // namespace

bool LazyResolver::CutsBelow(const LayerView& view, std::string_view path,
                             std::string_view hide) const {
  if (view.WhitesOut(path) || NonDirectoryAbove(view, path, hide)) return true;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    std::string_view ancestor = path.substr(0, slash);
    if (view.WhitesOut(ancestor) || view.Opaque(ancestor)) return true;
  }
  return view.Opaque("") && !path.empty();
}

PathSource LazyResolver::ResolveAsOf(std::string_view path, uint32_t top, std::string_view hide,
                                     int depth) const {
  if (path.empty()) return Root(top);
  for (uint32_t k = top + 1; k-- > 0;) {
    const LayerView& view = view_(k);
    // The link being resolved is not there yet when its target is looked up.
    std::string_view hidden = k == top ? hide : std::string_view();
    // A parent this layer made a non-directory hides the path here and in every lower layer.
    if (NonDirectoryAbove(view, path, hidden)) return {};
    std::optional<uint32_t> m = path == hidden ? std::nullopt : view.Entry(path);
    if (m) {
      MemberType type = view.layer().type(*m);
      if (type == MemberType::kHardlink) {
        if (depth >= kMaxLinkDepth) return {};
        TarMember link = view.layer().member(*m);
        PathSource target = ResolveAsOf(link.link_target, k, path, depth + 1);
        if (target.kind == PathSource::Kind::kMember && target.type != MemberType::kDirectory) {
          return target;
        }
        // A dropped link still removed what was below it; a marker below implies a directory.
        if (view.HasBelow(path)) return {PathSource::Kind::kImpliedDir};
        return {};
      }
      return {PathSource::Kind::kMember, k, *m, type};
    }
    if (view.HasBelow(path)) {
      // A directory this layer only implies: the topmost explicit directory below, if neither
      // this layer nor one in between cut it off.
      if (CutsBelow(view, path, hidden)) return {PathSource::Kind::kImpliedDir};
      for (uint32_t j = k; j-- > 0;) {
        const LayerView* lower = AttributeView(j);
        if (lower == nullptr) {
          return {PathSource::Kind::kImpliedDir, kNoIndex, kNoIndex, MemberType::kDirectory, true};
        }
        if (auto m = lower->Entry(path)) {
          if (lower->layer().type(*m) == MemberType::kDirectory) {
            return {PathSource::Kind::kMember, j, *m, MemberType::kDirectory};
          }
          break;
        }
        if (CutsBelow(*lower, path)) break;
      }
      return {PathSource::Kind::kImpliedDir};
    }
    if (CutsBelow(view, path, hidden)) return {};
  }
  return {};
}

}  // namespace imgmount
