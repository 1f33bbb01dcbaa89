// libFuzzer target: the union cache file loader (ReadUnionFile, ReadUnionFileInfo) on arbitrary
// bytes, read against the fixed layers of union_layers.h as a warm mount reads a cached union;
// a file it accepts is then used as the mount would use it: every inode, every directory's
// entries and names, a lookup of each entry by name and of each directory by inode number, path
// resolution, and a read of every regular file.
//
// Byte 0 is a flag: when bit 0 is set, the target writes the true file size and CRC-32 into the
// header first, so that mutations reach the checks behind the CRC.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "index/cache/union_cache.h"
#include "index/cache/union_file.h"
#include "layers/base/error.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/section_header.h"
#include "tests/fuzz/temp_file.h"
#include "tests/fuzz/union_layers.h"

namespace imgmount::fuzz {
namespace {

// Walks a tree that passed the loader's checks; anything inconsistent is a bug of the checks.
void UseTree(const UnionTree& tree) {
  std::vector<std::byte> buffer(256);
  for (uint32_t id = 0; id < tree.inode_count(); ++id) {
    const UnionInode& inode = tree.inode(id);
    if (tree.IdOfIno(inode.ino) != id)
      FuzzBug("inode " + std::to_string(id) + " not found by number");
    for (const UnionDirent& entry : tree.children(id)) {
      std::string name(tree.name(entry));
      if (entry.inode >= tree.inode_count()) FuzzBug("an entry names inode out of range");
      if (tree.Lookup(id, name) != entry.inode) FuzzBug("entry \"" + name + "\" not found by name");
    }
    try {
      (void)tree.member(id);
      if (inode.type == MemberType::kRegular) {
        tree.Read(id, 0, buffer);
        (void)tree.SeekData(id, 0, true);
      }
    } catch (const Error& e) {
      NoteExpected(e.what());
    }
  }
  (void)tree.Resolve("/bin/sh");
  (void)tree.Resolve("opt/new");
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  using namespace imgmount::fuzz;
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) FixSectionHeader(bytes);
  static const std::string chain = UnionChainId(FuzzUnionStems());
  static TempFile file("imgmount-fuzz-union");
  file.Write(bytes);
  std::string why;
  if (auto loaded = ReadUnionFile(file.path(), chain, FuzzUnionStems(), FuzzUnionLayers(), &why)) {
    UseTree(*loaded->tree);
  } else {
    NoteExpected("union file: " + why);
  }
  if (!ReadUnionFileInfo(file.path(), &why)) NoteExpected("union file info: " + why);
  return 0;
}
