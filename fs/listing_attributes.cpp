#include "fs/listing_attributes.h"

namespace imgmount {

bool ListingAttributes::ListBare(uint32_t dir, size_t inode_count) {
  if (attributes_wanted()) return false;
  std::lock_guard lock(mutex_);
  if (wanted_.load(std::memory_order_relaxed)) return false;
  if (listed_bare_.size() < inode_count) listed_bare_.resize(inode_count);
  if (dir >= listed_bare_.size()) return false;
  listed_bare_[dir] = true;
  return true;
}

std::vector<uint32_t> ListingAttributes::NoteLookup(uint32_t dir) {
  std::vector<uint32_t> listed;
  if (attributes_wanted()) return listed;
  std::lock_guard lock(mutex_);
  if (wanted_.load(std::memory_order_relaxed)) return listed;
  if (dir >= listed_bare_.size() || !listed_bare_[dir]) return listed;
  wanted_.store(true, std::memory_order_relaxed);
  for (size_t id = 0; id < listed_bare_.size(); ++id) {
    if (listed_bare_[id]) listed.push_back(static_cast<uint32_t>(id));
  }
  listed_bare_ = {};
  return listed;
}

}  // namespace imgmount
