// libFuzzer target: the bbolt reader of containerd's meta.db (layers/containerd/bolt_file.h).
//
// The input is the whole database file. The target reads it as the containerd store does (the
// buckets v1/<namespace>/images/<name>/target and their values, sizes as Go varints) and walks
// every bucket it can reach, a few levels deep: any malformed page must end in an Error, never a
// crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "layers/base/error.h"
#include "layers/containerd/bolt_file.h"
#include "layers/source/basic_sources.h"
#include "tests/fuzz/fuzz_check.h"

namespace imgmount::fuzz {
namespace {

constexpr int kMaxNesting = 5;
// Entries listed per input at most: buckets of a hostile file may share pages, so that a walk
// of every nesting would grow exponentially.
constexpr size_t kMaxEntries = 20000;

// Lists `bucket` and every bucket below it, down to kMaxNesting, looking up each key again.
void WalkBucket(const BoltFile& bolt, const BoltBucket& bucket, int nesting, size_t& budget) {
  for (const BoltEntry& entry : bolt.Entries(bucket)) {
    if (budget == 0) return;
    --budget;
    if (!entry.is_bucket) {
      (void)DecodeGoVarint(entry.value);
      if (bolt.Value(bucket, entry.key) != entry.value) {
        // Keys need not be sorted in a hostile file: a lookup may find another duplicate or
        // miss the key; only a crash is a bug.
        NoteExpected("lookup disagrees with the listing");
      }
      continue;
    }
    BoltBucket child = bolt.AsBucket(entry);
    if (nesting < kMaxNesting) WalkBucket(bolt, child, nesting + 1, budget);
  }
}

void ReadAsContainerd(const BoltFile& bolt) {
  auto v1 = bolt.Child(bolt.Root(), "v1");
  if (!v1) return;
  for (const BoltEntry& space : bolt.Entries(*v1)) {
    if (!space.is_bucket) continue;
    auto images = bolt.Child(bolt.AsBucket(space), "images");
    if (!images) continue;
    for (const BoltEntry& image : bolt.Entries(*images)) {
      if (!image.is_bucket) continue;
      auto target = bolt.Child(bolt.AsBucket(image), "target");
      if (!target) continue;
      (void)bolt.Value(*target, "digest");
      (void)bolt.Value(*target, "mediatype");
      (void)DecodeGoVarint(bolt.Value(*target, "size").value_or(""));
    }
  }
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  using namespace imgmount::fuzz;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    BoltFile bolt(std::make_shared<MemorySource>(bytes, "fuzz meta.db"), "fuzz meta.db");
    ReadAsContainerd(bolt);
    size_t budget = kMaxEntries;
    WalkBucket(bolt, bolt.Root(), 0, budget);
    (void)bolt.CurrentTxid();
  } catch (const Error& e) {
    NoteExpected(e.what());
  }
  return 0;
}
