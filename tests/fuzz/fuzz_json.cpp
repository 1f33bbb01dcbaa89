// libFuzzer target: the manifest, index and config parsers (manifest.json of docker save, OCI
// index.json and image manifests, image configs with their history and Env) through ReadImage.
//
// The input is up to 8 documents separated by NUL bytes. Document 0 is the container's
// manifest.json when it starts with '[', else its index.json (with an oci-layout file). Every
// other document N is stored as blobs/sha256/<hex>, <hex>.json and <hex>.tar, where <hex> is its
// SHA-256, and the text "@N" in any earlier document is replaced by that hex first, and "#N" by
// its length in bytes, so that the fuzzer can write digests, paths and descriptor sizes that
// verify ("sha256:@1", "blobs/sha256/@2", "@1.json", "size":#1).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/image/image.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_files.h"

namespace imgmount::fuzz {
namespace {

constexpr size_t kMaxDocuments = 8;

// The NUL-separated documents of the input; the last one keeps any further NULs.
std::vector<std::string> SplitDocuments(const uint8_t* data, size_t size) {
  std::vector<std::string> docs(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && docs.size() < kMaxDocuments) {
      docs.emplace_back();
    } else {
      docs.back().push_back(static_cast<char>(data[i]));
    }
  }
  return docs;
}

// The lower-case hex SHA-256 of `text`, as imgmount computes it.
std::string HexSha256(const std::string& text) {
  Hasher hash;
  hash.Update(std::as_bytes(std::span(text.data(), text.size())));
  std::string digest = hash.Finish();
  return digest.substr(digest.find(':') + 1);
}

// Replaces "@N" in `doc` by hex[N] and "#N" by the length of document N, for every N whose
// digest is known.
void Substitute(std::string& doc, const std::vector<std::string>& hex,
                const std::vector<std::string>& docs) {
  std::string out;
  for (size_t i = 0; i < doc.size(); ++i) {
    size_t n = i + 1 < doc.size() ? static_cast<size_t>(doc[i + 1] - '0') : hex.size();
    bool known = n < hex.size() && !hex[n].empty();
    if (doc[i] == '@' && known) {
      out += hex[n];
      ++i;
    } else if (doc[i] == '#' && known) {
      out += std::to_string(docs[n].size());
      ++i;
    } else {
      out.push_back(doc[i]);
    }
  }
  doc = std::move(out);
}

// ReadImage with one selector; expected errors are only noted.
void TryRead(const ImageFiles& files, const ImageSelector& selector) {
  try {
    Image image = ReadImage(files, selector);
    for (const auto& layer : image.layers) (void)layer.blob->Size();
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
  }
}

}  // namespace
}  // namespace imgmount::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imgmount;
  using namespace imgmount::fuzz;
  std::vector<std::string> docs = SplitDocuments(data, size);
  std::vector<std::string> hex(docs.size());
  for (size_t n = docs.size() - 1; n > 0; --n) {
    Substitute(docs[n], hex, docs);
    hex[n] = HexSha256(docs[n]);
  }
  Substitute(docs[0], hex, docs);

  try {
    ParseImageConfig(docs[0], "fuzz config");
  } catch (const Error& e) {
    imgmount::fuzz::NoteExpected(e.what());
  }
  std::map<std::string, std::string> files;
  if (docs[0].starts_with('[')) {
    files["manifest.json"] = docs[0];
  } else {
    files["index.json"] = docs[0];
    files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
  }
  for (size_t n = 1; n < docs.size(); ++n) {
    files["blobs/sha256/" + hex[n]] = docs[n];
    files[hex[n] + ".json"] = docs[n];
    files[hex[n] + ".tar"] = docs[n];
  }
  MemoryFiles container(std::move(files));
  TryRead(container, {});
  TryRead(container, {"latest", std::nullopt});
  TryRead(container, {"", Platform{"linux", "arm64", "v8"}});
  return 0;
}
