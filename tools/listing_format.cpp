#include "tools/listing_format.h"

#include <ctime>

namespace imgmount {

std::string ModeString(MemberType type, uint32_t mode) {
  char kind = '-';
  switch (type) {
    case MemberType::kDirectory:
      kind = 'd';
      break;
    case MemberType::kSymlink:
      kind = 'l';
      break;
    case MemberType::kCharDevice:
      kind = 'c';
      break;
    case MemberType::kBlockDevice:
      kind = 'b';
      break;
    case MemberType::kFifo:
      kind = 'p';
      break;
    default:
      break;
  }
  std::string s(10, '-');
  s[0] = kind;
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (mode & (0400u >> i)) s[1 + i] = rwx[i];
  }
  if (mode & 04000) s[3] = (mode & 0100) ? 's' : 'S';
  if (mode & 02000) s[6] = (mode & 0010) ? 's' : 'S';
  if (mode & 01000) s[9] = (mode & 0001) ? 't' : 'T';
  return s;
}

std::string LongListingLine(const UnionTree& tree, uint32_t id, const std::string& name) {
  const UnionInode& node = tree.inode(id);
  std::optional<TarMember> member = tree.member(id);
  std::string size;
  if ((node.type == MemberType::kCharDevice || node.type == MemberType::kBlockDevice) && member) {
    size = std::to_string(member->dev_major) + ", " + std::to_string(member->dev_minor);
  } else {
    size = std::to_string(node.type == MemberType::kDirectory ? 4096 : node.size);
  }
  char when[32] = "?";
  time_t t = static_cast<time_t>(node.mtime_sec);
  struct tm tm {};
  if (gmtime_r(&t, &tm) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  char line[256];
  std::snprintf(line, sizeof line, "%s %3u %5u %5u %10s %s ",
                ModeString(node.type, node.mode).c_str(), node.nlink, node.uid, node.gid,
                size.c_str(), when);
  std::string out = line + name;
  if (node.type == MemberType::kSymlink && member) out += " -> " + std::string(member->link_target);
  return out;
}

}  // namespace imgmount
