// The one scratch file through which a fuzz target hands its input to code that reads files by
// path (the index-file loaders); rewritten in place for every input.
#pragma once

#include <string>
#include <string_view>

namespace imgmount::fuzz {

/// A file in $TMPDIR (else /tmp), removed when the object goes.
class TempFile {
 public:
  /// Creates an empty file whose name starts with `stem`; aborts if it cannot.
  explicit TempFile(const std::string& stem);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  /// Replaces the file's content with `bytes` (a new inode each time, as the cache writes it).
  void Write(std::string_view bytes);

  /// The file's path.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace imgmount::fuzz
