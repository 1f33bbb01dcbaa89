// An image container held in memory for the JSON fuzz target: named files, no directories or
// links, so that the manifest and config parsers see exactly the documents the fuzzer wrote.
#pragma once

#include <map>
#include <string>

#include "layers/image/image_files.h"

namespace imgmount::fuzz {

/// ImageFiles over a map from path to content.
class MemoryFiles final : public ImageFiles {
 public:
  /// Serves `files` (path -> bytes) as a container named "fuzz.tar".
  explicit MemoryFiles(std::map<std::string, std::string> files) : files_(std::move(files)) {}

  SourcePtr Open(const std::string& path) const override;
  bool Exists(const std::string& path) const override { return files_.count(path) != 0; }
  const std::string& name() const override { return name_; }
  std::string Kind() const override { return "tar"; }

 private:
  std::map<std::string, std::string> files_;
  std::string name_ = "fuzz.tar";
};

}  // namespace imgmount::fuzz
