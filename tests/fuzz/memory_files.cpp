// MemoryFiles: a missing path is kNotFound, as in the real containers.
#include "tests/fuzz/memory_files.h"

#include "layers/base/error.h"
#include "layers/source/basic_sources.h"

namespace imgmount::fuzz {

SourcePtr MemoryFiles::Open(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) throw Error(ErrorKind::kNotFound, ENOENT, name_ + ": no " + path);
  return std::make_shared<MemorySource>(it->second, name_ + ":" + path);
}

}  // namespace imgmount::fuzz
