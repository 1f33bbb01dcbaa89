#include "layers/registry/whole_blob.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/source/basic_sources.h"
#include "layers/source/scratch_file.h"

namespace imgmount {

SourcePtr DownloadWholeBlob(const RegistryClient& client, const std::string& digest, uint64_t size,
                            const std::string& path) {
  struct stat st {};
  bool stale = false;
  if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
    // Verified when it was written; its bytes are checked by the span checks when read.
    if (static_cast<uint64_t>(st.st_size) == size) return FileSource::Open(path);
    stale = true;
  }
  std::string what = client.reference().given + ": blob " + digest;
  std::string dir;
  if (!path.empty()) {
    dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
  }
  std::shared_ptr<ScratchFile> file = ScratchFile::Create(dir, path.empty() ? what : path);
  Hasher hasher(AlgorithmOf(digest));
  std::optional<Error> write_error;
  bool too_long = false;
  try {
    client.StreamBlob(digest, 0, [&](std::string_view bytes) {
      auto chunk = std::as_bytes(std::span(bytes.data(), bytes.size()));
      too_long = file->Size() + chunk.size() > size;
      if (too_long) return false;
      try {
        file->Append(chunk);
      } catch (const Error& e) {
        // No exception may cross libcurl: the failure is rethrown once the transfer stops.
        write_error = e;
        return false;
      }
      hasher.Update(chunk);
      return true;
    });
  } catch (const Error&) {
    if (!write_error && !too_long) throw;
  }
  if (write_error) {
    throw Error(ErrorKind::kIo, write_error->errno_value(),
                what + ": cannot write its local copy: " + write_error->what());
  }
  uint64_t written = file->Size();
  std::string actual = hasher.Finish();
  if (too_long || written != size || actual != digest) {
    throw Error(ErrorKind::kIntegrity, EIO,
                what + ": the registry ignores Range requests, and the whole blob it sent (" +
                    std::to_string(written) + " bytes) has digest " + actual + ", not " + digest +
                    " (" + std::to_string(size) + " bytes)");
  }
  if (!path.empty()) {
    // A file of the wrong size is replaced; a failed link (another process linked it first, or
    // the scratch file has no name to give) only means the copy is not kept.
    if (stale) ::unlink(path.c_str());
    file->LinkTo(path);
  }
  return file;
}

}  // namespace imgmount
