// `imgmount verify IMAGE`: recomputes every digest the image states -- the manifest, the config,
// each layer blob and each layer's uncompressed stream (diff_id) -- and reports each mismatch.
#include <cstdio>
#include <iostream>

#include "layers/decode_pass.h"
#include "layers/digest.h"
#include "layers/error.h"
#include "layers/sha256.h"
#include "tools/cli_common.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kVerifyHelp =
    "usage: imgmount verify [OPTIONS] IMAGE\n"
    "Check every digest of the image (manifest, config, layer blobs, diff_ids) by reading all\n"
    "of it. Prints one line per check; exits 0 if all match, 1 if any does not.\n";

std::string DigestOfSource(const ByteSource& source) {
  Sha256 hash;
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  while (size_t got = source.ReadAt(offset, buffer)) {
    hash.Update(std::span(buffer.data(), got));
    offset += got;
  }
  return hash.Finish();
}

class Checker {
 public:
  // Records one comparison; an empty `expected` means the format states no digest.
  void Check(const std::string& what, const std::string& expected, const std::string& actual) {
    if (expected.empty()) {
      std::printf("skip      %s (no digest stated)\n", what.c_str());
      return;
    }
    if (expected == actual) {
      std::printf("ok        %s %s\n", what.c_str(), expected.c_str());
      return;
    }
    ++mismatches_;
    std::printf("MISMATCH  %s: expected %s, content has %s\n", what.c_str(), expected.c_str(),
                actual.c_str());
  }
  int mismatches() const { return mismatches_; }

 private:
  int mismatches_ = 0;
};

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  ImageArgs image;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kVerifyHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg.size() > 1 && arg[0] == '-') UsageError("verify", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() != 1) UsageError("verify", "expected IMAGE");
  auto [file, tag] = SplitImageArgument(positional[0]);
  if (!tag.empty()) image.view.selector.name = tag;
  auto files = OpenImageFiles(file);
  Image img = ReadImage(*files, image.view.selector);
  Checker checker;
  if (IsValidDigest(img.manifest_digest)) {
    auto manifest = files->Open(BlobPath(img.manifest_digest, file));
    checker.Check("manifest", img.manifest_digest, DigestOfSource(*manifest));
  }
  checker.Check("config " + img.config_path, img.config_digest,
                DigestOfSource(*files->Open(img.config_path)));
  for (size_t i = 0; i < img.layers.size(); ++i) {
    const LayerBlob& layer = img.layers[i];
    std::string name = "layer " + std::to_string(i + 1) + " (" + layer.path + ")";
    auto pass = DecodePass::Start(layer.blob, SniffCodec(*layer.blob), name);
    std::vector<std::byte> buffer(1 << 20);
    while (pass->Read(buffer) > 0) {
    }
    checker.Check(name + " blob", layer.digest, pass->BlobDigest());
    checker.Check(name + " diff_id", layer.diff_id, pass->StreamDigest());
  }
  std::fflush(stdout);
  if (checker.mismatches() > 0) {
    std::fprintf(stderr, "imgmount: %s: %d digest(s) do not match\n", file.c_str(),
                 checker.mismatches());
    return 1;
  }
  return 0;
}

}  // namespace imgmount
