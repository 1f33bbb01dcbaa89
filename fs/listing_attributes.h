// Whether a directory listing hands the kernel the attributes of the entries it lists.
//
// A listing answered with attributes (READDIRPLUS entries carrying a node id) makes the kernel
// build an inode and a dentry for every entry at once: cheap per entry, but on a fresh mount that
// is most of the time a `find` takes (208k entries: ~1 s of the walker's kernel time), and a
// walk that only needs names and types pays it for nothing. A disk filesystem loads inodes only
// when someone asks for them; this policy makes the mount behave the same way until the
// attributes prove to be wanted:
//  - At first, listings give full entries for directories only (a walker descends into them) and
//    names with types for everything else (the kernel's getdents needs no more).
//  - When the kernel looks up a non-directory in a directory that was listed that way, a program
//    is asking for the attributes of listed entries (ls -l, du, a stat walk, grep -r); from then
//    on every listing of this mount carries them, so the rest of the walk needs no lookups; the
//    kernel's cached listings of the directories listed bare are invalidated so that a second
//    walk reads them again with attributes. (A bare listing whose reply is still on its way when
//    the switch happens may stay cached bare: its files then cost a lookup each, nothing worse.)
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace imgmount {

/// Decides, per listing, whether non-directory entries carry their attributes.
class ListingAttributes {
 public:
  /// Whether listing directory `dir` (a tree id of a tree with `inode_count` inodes) should give
  /// non-directories without attributes; if so, remembers that `dir` was listed that way.
  bool ListBare(uint32_t dir, size_t inode_count);

  /// Notes that the kernel looked up a non-directory in directory `dir`: if `dir` was listed
  /// bare, every later listing carries attributes, and the directories listed bare so far are
  /// returned (once) for their cached listings to be invalidated; else returns nothing.
  std::vector<uint32_t> NoteLookup(uint32_t dir);

  /// Whether listings now carry the attributes of every entry.
  bool attributes_wanted() const { return wanted_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> wanted_{false};
  std::mutex mutex_;
  std::vector<bool> listed_bare_;  // by tree id; sized at the first bare listing
};

}  // namespace imgmount
