// The lazy resolver must answer every path exactly as the full union build does: checked on
// hand-made stacks for each rule and on thousands of random stacks over a small name space, with
// the same inode numbers.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "index/union/lazy_resolver.h"
#include "index/union/union_builder.h"
#include "test_union_support.h"

using namespace imgmount;
using imgmount::testing::LayerMaker;

namespace {

// Every path of the tree with its inode id.
void Walk(const UnionTree& tree, uint32_t dir, const std::string& path,
          std::vector<std::pair<std::string, uint32_t>>& out) {
  for (const UnionDirent& e : tree.children(dir)) {
    std::string name(tree.name(e));
    std::string child = path.empty() ? name : path + "/" + name;
    out.emplace_back(child, e.inode);
    if (tree.inode(e.inode).type == MemberType::kDirectory) Walk(tree, e.inode, child, out);
  }
}

// The members of every layer, for failure messages.
std::string Dump(const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  std::string out;
  for (size_t l = 0; l < layers.size(); ++l) {
    out += "\n  layer " + std::to_string(l) + ":";
    for (uint32_t i = 0; i < layers[l]->size(); ++i) {
      TarMember m = layers[l]->member(i);
      out += " " + std::string(m.path) + "(" + std::to_string(static_cast<int>(m.type));
      if (m.type == MemberType::kHardlink) out += "->" + std::string(m.link_target);
      out += ")";
    }
  }
  return out;
}

// "" if the resolver agrees with the full build on every path of the tree and on every other
// path the layers mention; else a description of the first disagreement.
std::string Disagreement(const std::vector<std::shared_ptr<const LayerIndex>>& layers) {
  auto tree = BuildUnionTree(layers);
  std::vector<std::unique_ptr<LayerView>> views;
  for (const auto& layer : layers) views.push_back(std::make_unique<LayerView>(layer));
  LazyResolver resolver(static_cast<uint32_t>(layers.size()),
                        [&](uint32_t k) -> const LayerView& { return *views[k]; });
  std::vector<std::pair<std::string, uint32_t>> present{{"", UnionTree::kRoot}};
  Walk(*tree, UnionTree::kRoot, "", present);
  std::set<std::string> seen;
  for (const auto& [path, id] : present) {
    seen.insert(path);
    const UnionInode& inode = tree->inode(id);
    PathSource source = resolver.Resolve(path);
    bool implied = inode.layer == kNoIndex;
    bool ok = implied ? source.kind == PathSource::Kind::kImpliedDir
                      : source.kind == PathSource::Kind::kMember && source.layer == inode.layer &&
                            source.member == inode.member && source.type == inode.type;
    if (ok && InoOf(source, path) != inode.ino) {
      return "/" + path + ": inode number " + std::to_string(InoOf(source, path)) + " lazily, " +
             std::to_string(inode.ino) + " in the full build" + Dump(layers);
    }
    if (!ok) {
      return "/" + path + ": full build has layer " + std::to_string(inode.layer) + " member " +
             std::to_string(inode.member) + ", resolver kind " +
             std::to_string(static_cast<int>(source.kind)) + " layer " +
             std::to_string(source.layer) + " member " + std::to_string(source.member) +
             Dump(layers);
    }
  }
  for (const auto& layer : layers) {
    for (uint32_t i = 0; i < layer->size(); ++i) {
      std::string path(layer->path(i));
      for (std::string candidate : {path, path.substr(0, path.rfind('/'))}) {
        if (candidate.find(".wh.") != std::string::npos || seen.contains(candidate)) continue;
        if (resolver.Resolve(candidate).kind != PathSource::Kind::kAbsent) {
          return "/" + candidate + ": absent in the full build, found by the resolver" +
                 Dump(layers);
        }
      }
    }
  }
  return "";
}

}  // namespace

TEST_CASE("lazy resolver agrees with the full build on each union rule", "[lazy]") {
  auto base = LayerMaker("base")
                  .Dir("etc")
                  .File("etc/a", "a")
                  .File("etc/b", "b")
                  .Dir("etc/d")
                  .File("etc/d/x", "x")
                  .Symlink("lib", "usr/lib")
                  .Dir("usr")
                  .Dir("usr/lib")
                  .File("usr/lib/l", "l")
                  .File("keep", "k")
                  .Make();
  auto upper = LayerMaker("upper")
                   .File("etc/.wh.a", "")
                   .File("etc/d/.wh..wh..opq", "")
                   .File("etc/d/y", "y")
                   .File("lib/z", "z")
                   .Hardlink("hl", "keep")
                   .Hardlink("dangling", "missing")
                   .File("usr/lib", "now a file")
                   .Make();
  auto top = LayerMaker("top")
                 .Dir("etc", 0700)
                 .File("etc/a", "again")
                 .File("keep", "now a file")
                 .File("keep/.wh.x", "")
                 .Make();
  CHECK(Disagreement({base, upper, top}) == "");
  CHECK(Disagreement({base, upper}) == "");
  CHECK(Disagreement({top, base}) == "");
}

// Random stacks over a small name space. Within one layer a path appears at most once, nothing
// (not even a marker) lies below a non-directory of the same layer, and hardlinks point at paths
// the layer touches neither at, above nor below: the orderings a single tar can express beyond that
// (a later member replacing its own parent, a link to a member stored after it) are left to the
// full build.
TEST_CASE("lazy resolver agrees with the full build on random stacks", "[lazy]") {
  const std::vector<std::string> names = {"a", "a/b", "a/b/c", "a/d", "e", "e/f"};
  std::mt19937 random(12345);
  int checked = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::shared_ptr<const LayerIndex>> layers;
    int layer_count = 1 + static_cast<int>(random() % 4);
    for (int l = 0; l < layer_count; ++l) {
      LayerMaker maker("random");
      std::set<std::string> used;
      std::set<std::string> non_dirs;
      std::vector<std::pair<int, std::string>> plan;
      int members = 1 + static_cast<int>(random() % 5);
      for (int m = 0; m < members; ++m) {
        const std::string& path = names[random() % names.size()];
        int kind = static_cast<int>(random() % 6);
        if (kind == 3 || kind == 4) {
          plan.emplace_back(kind, path);
          continue;
        }
        bool below_non_dir = false;
        for (const auto& other : non_dirs) below_non_dir |= path.starts_with(other + "/");
        for (const auto& other : used) below_non_dir |= kind != 0 && other.starts_with(path + "/");
        if (used.contains(path) || below_non_dir) continue;
        used.insert(path);
        if (kind != 0) non_dirs.insert(path);
        plan.emplace_back(kind, path);
      }
      std::vector<std::string> link_targets;
      for (const auto& name : names) {
        bool touched = false;
        for (const auto& [kind, path] : plan) {
          touched |= path == name || path.starts_with(name + "/") || name.starts_with(path + "/");
        }
        if (!touched) link_targets.push_back(name);
      }
      auto at_or_below_non_dir = [&](const std::string& dir) {
        for (const auto& other : non_dirs) {
          if (dir == other || dir.starts_with(other + "/")) return true;
        }
        return false;
      };
      for (const auto& [kind, path] : plan) {
        std::string parent =
            path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/'));
        // (markers below a non-directory of the same layer are left to the hand-made cases)
        if ((kind == 3 && at_or_below_non_dir(parent)) ||
            (kind == 4 && at_or_below_non_dir(path))) {
          continue;
        }
        std::string base = path.substr(path.rfind('/') + 1);
        std::string marker_dir = parent.empty() ? "" : parent + "/";
        switch (kind) {
          case 0:
            maker.Dir(path, 0700 + static_cast<uint32_t>(l));
            break;
          case 1:
            maker.File(path, "content " + std::to_string(l));
            break;
          case 2:
            maker.Symlink(path, "target");
            break;
          case 3:
            maker.File(marker_dir + ".wh." + base, "");
            break;
          case 4:
            maker.File(path + "/.wh..wh..opq", "");
            break;
          default:
            if (link_targets.empty()) break;
            maker.Hardlink(path, link_targets[random() % link_targets.size()]);
            break;
        }
      }
      layers.push_back(maker.Make());
    }
    INFO("round " << round);
    REQUIRE(Disagreement(layers) == "");
    ++checked;
  }
  CHECK(checked == 3000);
}
