#include "tests/fuzz/toc_layer.h"

#include <string>

#include "tests/support/scenarios.h"

namespace imgmount::fuzz {

std::vector<fixture::TarEntry> FuzzTocEntries() {
  std::string big;
  for (int i = 0; i < 3000; ++i) big += "row " + std::to_string(i) + "\n";
  return {fixture::DirEntry("etc"), fixture::FileEntry("etc/big", big),
          fixture::FileEntry("etc/small", "small\n"), fixture::SymlinkEntry("etc/link", "small")};
}

}  // namespace imgmount::fuzz
