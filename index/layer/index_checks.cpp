#include "index/layer/index_checks.h"

#include <limits>
#include <string_view>

#include "layers/base/member_path.h"

namespace imgmount {

namespace {

constexpr uint32_t kMaxNsec = 1000000000;

bool InRange(std::string_view strings, uint32_t offset, uint32_t length) {
  return offset <= strings.size() && length <= strings.size() - offset;
}

bool InTable(size_t table_size, uint32_t first, uint32_t count) {
  return first <= table_size && count <= table_size - first;
}

bool IsDevice(MemberType type) {
  return type == MemberType::kCharDevice || type == MemberType::kBlockDevice;
}

// What is wrong with attribute record `a`, or "" if nothing.
std::string AttrProblem(const AttrRecord& a) {
  if (a.reserved != 0) return "a nonzero reserved byte";
  if (a.type > static_cast<uint8_t>(MemberType::kFifo) || a.mode > 07777) {
    return "bad type or mode";
  }
  if (!IsDevice(static_cast<MemberType>(a.type)) && (a.dev_major != 0 || a.dev_minor != 0)) {
    return "device numbers on a non-device";
  }
  return "";
}

// What is wrong with extra record `e`, or "" if nothing. Extra records use the xattr and sparse
// tables in order, each entry once: `xattrs_used` and `sparse_used` count the entries the
// records before `e` use, and advance past e's.
std::string ExtraProblem(const ExtraRecord& e, const IndexTables& t, uint64_t* xattrs_used,
                         uint64_t* sparse_used) {
  if ((e.flags & ~kExtraSparse) != 0) return "unknown flags";
  if (e.sparse_count > 0 && (e.flags & kExtraSparse) == 0) return "sparse runs on a plain file";
  if (e.mtime_nsec >= kMaxNsec) return "bad nanoseconds";
  if (!InRange(t.strings, e.link_offset, e.link_length) || e.xattr_first != *xattrs_used ||
      !InTable(t.xattrs.size(), e.xattr_first, e.xattr_count) || e.sparse_first != *sparse_used ||
      !InTable(t.sparse.size(), e.sparse_first, e.sparse_count)) {
    return "a range outside its table or out of order";
  }
  *xattrs_used += e.xattr_count;
  *sparse_used += e.sparse_count;
  for (const XattrRecord& x : t.xattrs.subspan(e.xattr_first, e.xattr_count)) {
    if (!InRange(t.strings, x.name_offset, x.name_length) ||
        !InRange(t.strings, x.value_offset, x.value_length) || x.name_length == 0 ||
        t.strings.substr(x.name_offset, x.name_length).find('\0') != std::string_view::npos) {
      return "a bad extended attribute";
    }
  }
  return "";
}

// What is wrong with member `r`, or "" if nothing; its attribute and extra records are already
// checked once their indexes are. Members use the extra records in order, each once:
// `extras_used` counts the records the members before `r` use.
std::string MemberProblem(const MemberRecord& r, const IndexTables& t, uint64_t stream_size,
                          uint32_t* extras_used) {
  static constexpr ExtraRecord kNone;
  if (r.attr_index >= t.attrs.size()) return "an attribute index outside its table";
  const ExtraRecord* extra = &kNone;
  if (r.extra_index != kNoExtra) {
    if (r.extra_index != *extras_used || r.extra_index >= t.extras.size()) {
      return "an extra index out of order";
    }
    extra = &t.extras[r.extra_index];
    ++*extras_used;
  }
  const ExtraRecord& e = *extra;
  if (!InRange(t.strings, r.path_offset, r.path_length)) return "a path outside its table";
  // Checked for every member of every layer each time an index is loaded: IsNormalMemberPath
  // allocates nothing.
  if (!IsNormalMemberPath(t.strings.substr(r.path_offset, r.path_length))) return "an unsafe path";
  auto type = static_cast<MemberType>(t.attrs[r.attr_index].type);
  std::string_view link = t.strings.substr(e.link_offset, e.link_length);
  if (type == MemberType::kHardlink) {
    if (link.empty() || !IsNormalMemberPath(link)) return "an unsafe hardlink target";
  } else if (type == MemberType::kSymlink) {
    if (link.find('\0') != std::string_view::npos) return "a NUL in a symlink target";
  } else if (!link.empty()) {
    return "a link target on a member that is no link";
  }
  if (r.data_offset > stream_size) return "data past the end of the stream";
  if (type != MemberType::kRegular) {
    if ((e.flags & kExtraSparse) != 0) return "a sparse flag on a member that is no file";
    return r.size == 0 && e.sparse_count == 0 ? "" : "a size on a member that is no file";
  }
  uint64_t stored = r.size;
  if ((e.flags & kExtraSparse) != 0) {
    stored = 0;
    for (const SparseExtent& run : t.sparse.subspan(e.sparse_first, e.sparse_count)) {
      if (run.offset > r.size || run.length > r.size - run.offset) {
        return "a sparse run past its size";
      }
      if (run.length > std::numeric_limits<uint64_t>::max() - stored) return "a sparse overflow";
      stored += run.length;
    }
  }
  if (stored > stream_size - r.data_offset) return "data past the end of the stream";
  return "";
}

}  // namespace

std::string TablesProblem(const IndexTables& t, uint64_t stream_size) {
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  if (t.members.size() >= kMax || t.attrs.size() > kMax || t.extras.size() >= kNoExtra ||
      t.xattrs.size() > kMax || t.sparse.size() > kMax || t.strings.size() > kMax) {
    return "a table larger than its indexes can reach";
  }
  for (size_t i = 0; i < t.attrs.size(); ++i) {
    std::string problem = AttrProblem(t.attrs[i]);
    if (!problem.empty()) return "attribute record " + std::to_string(i) + " has " + problem;
  }
  uint64_t xattrs_used = 0;
  uint64_t sparse_used = 0;
  for (size_t i = 0; i < t.extras.size(); ++i) {
    std::string problem = ExtraProblem(t.extras[i], t, &xattrs_used, &sparse_used);
    if (!problem.empty()) return "extra record " + std::to_string(i) + " has " + problem;
  }
  if (xattrs_used != t.xattrs.size() || sparse_used != t.sparse.size()) {
    return "extended attributes or sparse runs that no member has";
  }
  uint32_t extras_used = 0;
  for (size_t i = 0; i < t.members.size(); ++i) {
    std::string problem = MemberProblem(t.members[i], t, stream_size, &extras_used);
    if (!problem.empty()) return "member " + std::to_string(i) + " has " + problem;
  }
  if (extras_used != t.extras.size()) return "extra records that no member has";
  return "";
}

}  // namespace imgmount
