#include "tests/support/bolt_writer.h"

#include <algorithm>

namespace imgmount::test {
namespace {

void PutLe(std::string& out, uint64_t at, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    out[at + static_cast<uint64_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

std::string Header(uint64_t id, uint16_t flags, uint16_t count) {
  std::string out(16, '\0');
  PutLe(out, 0, id, 8);
  PutLe(out, 8, flags, 2);
  PutLe(out, 10, count, 2);
  return out;
}

uint64_t Fnv1a64(const std::string& bytes, size_t from, size_t to) {
  uint64_t hash = 14695981039346656037ULL;
  for (size_t i = from; i < to; ++i) {
    hash ^= static_cast<unsigned char>(bytes[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// Pads `page` to whole pages of `size` bytes and records the overflow in its header.
std::string Padded(std::string page, uint32_t size) {
  uint64_t pages = (page.size() + size - 1) / size;
  if (pages == 0) pages = 1;
  page.resize(pages * size, '\0');
  PutLe(page, 12, pages - 1, 4);
  return page;
}

}  // namespace

std::string LeafPageBytes(uint64_t id, const std::vector<BoltItem>& items) {
  std::string page = Header(id, 0x02, static_cast<uint16_t>(items.size()));
  page.resize(16 + 16 * items.size(), '\0');
  for (size_t i = 0; i < items.size(); ++i) {
    uint64_t element = 16 + 16 * i;
    PutLe(page, element, items[i].bucket ? 1 : 0, 4);
    PutLe(page, element + 4, page.size() - element, 4);
    PutLe(page, element + 8, items[i].key.size(), 4);
    PutLe(page, element + 12, items[i].value.size(), 4);
    page += items[i].key + items[i].value;
  }
  return page;
}

uint64_t BoltWriter::Leaf(const std::vector<BoltItem>& items) {
  uint64_t id = next_;
  std::string page = Padded(LeafPageBytes(id, items), page_size_);
  next_ += page.size() / page_size_;
  pages_[id] = std::move(page);
  return id;
}

uint64_t BoltWriter::Branch(const std::vector<std::pair<std::string, uint64_t>>& children) {
  uint64_t id = next_;
  std::string page = Header(id, 0x01, static_cast<uint16_t>(children.size()));
  page.resize(16 + 16 * children.size(), '\0');
  for (size_t i = 0; i < children.size(); ++i) {
    uint64_t element = 16 + 16 * i;
    PutLe(page, element, page.size() - element, 4);
    PutLe(page, element + 4, children[i].first.size(), 4);
    PutLe(page, element + 8, children[i].second, 8);
    page += children[i].first;
  }
  page = Padded(std::move(page), page_size_);
  next_ += page.size() / page_size_;
  pages_[id] = std::move(page);
  return id;
}

std::string BoltWriter::BucketAt(uint64_t root) {
  std::string out(16, '\0');
  PutLe(out, 0, root, 8);
  return out;
}

std::string BoltWriter::InlineBucket(const std::vector<BoltItem>& items) {
  return std::string(16, '\0') + LeafPageBytes(0, items);
}

std::string BoltWriter::Finish(uint64_t root, uint64_t txid) const {
  std::string file((next_)*page_size_, '\0');
  for (int n = 0; n < 2; ++n) {
    uint64_t at = MetaOffset(n);
    file.replace(at, 16, Header(static_cast<uint64_t>(n), 0x04, 0));
    PutLe(file, at + 16, 0xED0CDAED, 4);
    PutLe(file, at + 20, 2, 4);
    PutLe(file, at + 24, page_size_, 4);
    PutLe(file, at + 32, root, 8);
    PutLe(file, at + 48, 2, 8);
    PutLe(file, at + 56, next_, 8);
    PutLe(file, at + 64, txid + static_cast<uint64_t>(n), 8);
    PutLe(file, at + 72, Fnv1a64(file, at + 16, at + 72), 8);
  }
  file.replace(2 * page_size_, 16, Header(2, 0x10, 0));
  for (const auto& [id, page] : pages_) file.replace(id * page_size_, page.size(), page);
  return file;
}

std::string GoVarint(int64_t value) {
  uint64_t x = static_cast<uint64_t>(value) << 1;
  if (value < 0) x = ~x;
  std::string out;
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
  return out;
}

std::string ContainerdMetaDb(const std::vector<BoltImage>& images, uint32_t page_size) {
  BoltWriter writer(page_size);
  std::map<std::string, std::vector<BoltItem>> by_ns;
  std::vector<BoltImage> sorted = images;
  std::sort(sorted.begin(), sorted.end(),
            [](const BoltImage& a, const BoltImage& b) { return a.name < b.name; });
  for (const BoltImage& image : sorted) {
    std::vector<BoltItem> target = {{"digest", image.digest, false},
                                    {"mediatype", image.media_type, false},
                                    {"size", GoVarint(image.size), false}};
    std::vector<BoltItem> record = {{"createdat", std::string(15, '\1'), false},
                                    {"target", BoltWriter::InlineBucket(target), true},
                                    {"updatedat", std::string(15, '\1'), false}};
    by_ns[image.ns].push_back({image.name, BoltWriter::InlineBucket(record), true});
  }
  std::vector<BoltItem> spaces;
  for (const auto& [ns, records] : by_ns) {
    uint64_t page = writer.Leaf(records);
    std::vector<BoltItem> space = {{"images", BoltWriter::BucketAt(page), true},
                                   {"labels", BoltWriter::InlineBucket({}), true}};
    spaces.push_back({ns, BoltWriter::InlineBucket(space), true});
  }
  spaces.push_back({"version", GoVarint(3), false});
  uint64_t v1 = writer.Leaf(spaces);
  uint64_t root = writer.Leaf({{"v1", BoltWriter::BucketAt(v1), true}});
  return writer.Finish(root);
}

}  // namespace imgmount::test
