// Helpers for the union golden tests (see test_union_support.h).
#include "test_union_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "index/cache/union_cache.h"
#include "index/cache/union_file.h"
#include "index/union/union_builder.h"
#include "layers/source/basic_sources.h"

namespace imgmount::testing {
namespace {

char TypeLetter(MemberType type) {
  switch (type) {
    case MemberType::kRegular:
      return '-';
    case MemberType::kDirectory:
      return 'd';
    case MemberType::kSymlink:
      return 'l';
    case MemberType::kCharDevice:
      return 'c';
    case MemberType::kBlockDevice:
      return 'b';
    case MemberType::kFifo:
      return 'p';
    case MemberType::kHardlink:
      return 'h';
  }
  return '?';
}

std::string Quote(const std::string& bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    }
  }
  return out + "\"";
}

std::string Octal(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

}  // namespace

LayerMaker& LayerMaker::Add(const std::string& path, MemberType type, uint32_t mode) {
  NewMember m;
  m.path = path;
  m.type = type;
  m.mode = mode;
  m.data_offset = data_.size();
  members_.push_back(std::move(m));
  return *this;
}

LayerMaker& LayerMaker::Dir(const std::string& path, uint32_t mode) {
  return Add(path, MemberType::kDirectory, mode);
}

LayerMaker& LayerMaker::File(const std::string& path, const std::string& content, uint32_t mode) {
  Add(path, MemberType::kRegular, mode);
  members_.back().size = content.size();
  data_ += content;
  return *this;
}

LayerMaker& LayerMaker::Symlink(const std::string& path, const std::string& target) {
  Add(path, MemberType::kSymlink, 0777);
  members_.back().link_target = target;
  return *this;
}

LayerMaker& LayerMaker::Hardlink(const std::string& path, const std::string& target) {
  Add(path, MemberType::kHardlink, 0644);
  members_.back().link_target = target;
  return *this;
}

LayerMaker& LayerMaker::Special(const std::string& path, MemberType type, uint32_t major,
                                uint32_t minor) {
  Add(path, type, 0666);
  members_.back().dev_major = major;
  members_.back().dev_minor = minor;
  return *this;
}

LayerMaker& LayerMaker::Sparse(const std::string& path, uint64_t size,
                               const std::vector<std::pair<uint64_t, std::string>>& runs) {
  Add(path, MemberType::kRegular, 0644);
  members_.back().size = size;
  members_.back().is_sparse = true;
  for (const auto& [offset, bytes] : runs) {
    members_.back().sparse.push_back(SparseExtent{offset, bytes.size()});
    data_ += bytes;
  }
  return *this;
}

LayerMaker& LayerMaker::Raw(NewMember member) {
  members_.push_back(std::move(member));
  return *this;
}

LayerMaker& LayerMaker::Owner(uint32_t uid, uint32_t gid) {
  members_.back().uid = uid;
  members_.back().gid = gid;
  return *this;
}

LayerMaker& LayerMaker::Mtime(int64_t sec, uint32_t nsec) {
  members_.back().mtime_sec = sec;
  members_.back().mtime_nsec = nsec;
  return *this;
}

LayerMaker& LayerMaker::Pad(size_t bytes) {
  data_.append(bytes, '#');
  return *this;
}

std::shared_ptr<const LayerIndex> LayerMaker::Make() const {
  LayerIndexBuilder builder;
  for (const NewMember& m : members_) builder.Add(m);
  auto layer = builder.Finish(name_);
  layer->AttachStream(std::make_shared<MemorySource>(data_, name_), StreamIndex{}, {});
  return layer;
}

std::string CheckInvariants(const UnionTree& tree) {
  std::vector<uint32_t> names(tree.inode_count(), 0);
  std::vector<uint32_t> subdirs(tree.inode_count(), 0);
  names[UnionTree::kRoot] = 1;
  if (tree.inode(UnionTree::kRoot).parent != UnionTree::kRoot) return "root parent";
  for (uint32_t id = 0; id < tree.inode_count(); ++id) {
    std::span<const UnionDirent> entries = tree.children(id);
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string_view name = tree.name(entries[i]);
      if (i > 0 && !(tree.name(entries[i - 1]) < name)) return "unsorted dir " + std::to_string(id);
      const UnionInode& child = tree.inode(entries[i].inode);
      ++names[entries[i].inode];
      if (child.type == MemberType::kDirectory) {
        ++subdirs[id];
        if (child.parent != id) return "wrong parent of " + std::string(name);
      }
      if (tree.Lookup(id, name) != entries[i].inode) return "lookup " + std::string(name);
    }
  }
  for (uint32_t id = 0; id < tree.inode_count(); ++id) {
    const UnionInode& inode = tree.inode(id);
    if (names[id] == 0) return "unreachable inode " + std::to_string(id);
    if (inode.type == MemberType::kDirectory) {
      if (names[id] != 1) return "directory with several names";
      if (inode.nlink != 2 + subdirs[id]) return "directory nlink of " + std::to_string(id);
    } else if (inode.nlink != names[id]) {
      return "nlink of " + std::to_string(id);
    }
  }
  return "";
}

BuiltUnion BuildUnion(std::vector<std::shared_ptr<const LayerIndex>> layers) {
  BuiltUnion built;
  built.tree = BuildUnionTree(std::move(layers),
                              [&built](const std::string& w) { built.warnings.push_back(w); });
  std::string broken = CheckInvariants(*built.tree);
  if (!broken.empty()) throw std::logic_error("union tree invariant broken: " + broken);
  built.tree = RoundTrip(*built.tree, built.warnings);
  return built;
}

std::vector<std::string> TestStems(size_t count) {
  std::vector<std::string> stems;
  for (size_t i = 0; i < count; ++i) {
    std::string hex = std::to_string(i);
    stems.push_back("sha256-" + std::string(64 - hex.size(), '0') + hex);
  }
  return stems;
}

namespace {

template <class T>
bool SameBytes(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

}  // namespace

std::shared_ptr<const UnionTree> RoundTrip(const UnionTree& tree,
                                           const std::vector<std::string>& warnings) {
  char pattern[] = "/tmp/imgmount-union-XXXXXX";
  int fd = ::mkstemp(pattern);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  std::string path = pattern;
  std::vector<std::string> stems = TestStems(tree.layers().size());
  std::string chain = UnionChainId(stems);
  std::string why;
  bool written = WriteUnionFile(path, tree, chain, stems, warnings, &why);
  auto loaded = written ? ReadUnionFile(path, chain, stems, tree.layers(), &why) : std::nullopt;
  ::unlink(path.c_str());
  if (!loaded) throw std::logic_error("union file round trip failed: " + why);
  const UnionTables& a = tree.tables();
  const UnionTables& b = loaded->tree->tables();
  if (!SameBytes(a.inodes, b.inodes) || !SameBytes(a.dirents, b.dirents) || a.names != b.names ||
      !SameBytes(a.member_ids, b.member_ids) || !SameBytes(a.directory_ids, b.directory_ids)) {
    throw std::logic_error("union file round trip changed the tables");
  }
  if (loaded->warnings != warnings) throw std::logic_error("union file lost warnings");
  // Rendering reads every file: bad data must fail alike in both trees.
  auto render = [](const UnionTree& t) {
    try {
      return Render(t);
    } catch (const std::exception& e) {
      return std::string("error: ") + e.what();
    }
  };
  if (render(tree) != render(*loaded->tree)) throw std::logic_error("round trip renders anew");
  for (uint32_t id = 0; id < tree.inode_count(); ++id) {
    if (loaded->tree->IdOfIno(tree.inode(id).ino) != id) {
      throw std::logic_error("round trip loses inode number of " + std::to_string(id));
    }
  }
  return loaded->tree;
}

std::string ReadFile(const UnionTree& tree, const std::string& path, size_t chunk) {
  auto id = tree.Resolve(path);
  if (!id) throw std::runtime_error("no such file: " + path);
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    size_t got = tree.Read(*id, out.size(), std::as_writable_bytes(std::span(buf.data(), chunk)));
    if (got == 0) break;
    out.append(buf.data(), got);
  }
  return out;
}

std::string Render(const UnionTree& tree) {
  std::string out;
  std::function<void(uint32_t, const std::string&)> walk = [&](uint32_t id,
                                                               const std::string& path) {
    const UnionInode& inode = tree.inode(id);
    out += (path.empty() ? "/" : path) + " " + TypeLetter(inode.type) + " " + Octal(inode.mode) +
           " " + std::to_string(inode.uid) + ":" + std::to_string(inode.gid) + " n" +
           std::to_string(inode.nlink);
    if (inode.mtime_sec != 0 || inode.mtime_nsec != 0) {
      out += " @" + std::to_string(inode.mtime_sec);
      if (inode.mtime_nsec != 0) out += "." + std::to_string(inode.mtime_nsec);
    }
    std::optional<TarMember> m = tree.member(id);
    switch (inode.type) {
      case MemberType::kRegular:
        out += " " + Quote(ReadFile(tree, path));
        break;
      case MemberType::kSymlink:
        out += " -> " + std::string(m->link_target);
        break;
      case MemberType::kCharDevice:
      case MemberType::kBlockDevice:
        out += " " + std::to_string(m->dev_major) + "," + std::to_string(m->dev_minor);
        break;
      default:
        break;
    }
    out += "\n";
    for (const UnionDirent& entry : tree.children(id)) {
      std::string_view name = tree.name(entry);
      walk(entry.inode, path.empty() ? std::string(name) : path + "/" + std::string(name));
    }
  };
  walk(UnionTree::kRoot, "");
  return out;
}

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

bool HasWarning(const BuiltUnion& built, const std::string& part) {
  for (const std::string& w : built.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace imgmount::testing
