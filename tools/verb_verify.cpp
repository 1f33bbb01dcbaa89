// `imgmount verify IMAGE`: recomputes every digest the image states -- the manifest, the config,
// each layer blob and each layer's uncompressed stream (diff_id) -- and reports each mismatch, as
// text or as one JSON document. A layer blob whose size is not its descriptor's fails its blob
// check. (Reading the image checks the manifest and the config already, digest and size; their
// mismatch stops it there.)
#include <cstdio>
#include <iostream>
#include <optional>

#include "layers/decode_pass.h"
#include "layers/digest.h"
#include "layers/error.h"
#include "layers/hasher.h"
#include "tools/cli_common.h"
#include "tools/json_output.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kVerifyHelp =
    "usage: imgmount verify [--json] [OPTIONS] IMAGE\n"
    "Check every digest of the image (manifest, config, layer blobs, diff_ids) by reading all\n"
    "of it. Prints one line per check; exits 0 if all match, 1 if any does not.\n"
    "  --json  one JSON object: image, ok (all match), mismatches and checks, each with what\n"
    "          (manifest, config, blob, diff_id), layer (1 = bottom; null for manifest and\n"
    "          config), path, expected and computed digests, ok (null: no digest stated) and,\n"
    "          on a blob whose size is not its descriptor's, size_problem (ok is then false);\n"
    "          a manifest or config that does not match stops it: error, and no checks\n";

// The digest of `source` with the hash function `stated` names (SHA-256 if none).
std::string DigestOfSource(const ByteSource& source, const std::string& stated) {
  Hasher hash(AlgorithmOf(stated));
  std::vector<std::byte> buffer(1 << 20);
  uint64_t offset = 0;
  while (size_t got = source.ReadAt(offset, buffer)) {
    hash.Update(std::span(buffer.data(), got));
    offset += got;
  }
  return hash.Finish();
}

// One comparison of a stated digest with the content's.
struct DigestCheck {
  std::string what;             // "manifest", "config", "blob" or "diff_id"
  std::optional<size_t> layer;  // 1 = bottom
  std::string path;             // the blob's path in the image
  std::string expected;         // "" if the format states no digest
  std::string computed;
  std::string size_problem;  // a blob not of its descriptor's size: what the two sizes are
};

// Whether the check found the content other than the image states.
bool Mismatched(const DigestCheck& c) {
  return !c.size_problem.empty() || (!c.expected.empty() && c.expected != c.computed);
}

// "manifest", "config PATH", "layer N (PATH) blob": what a text line names.
std::string Label(const DigestCheck& c) {
  if (!c.layer) return c.what == "config" ? c.what + " " + c.path : c.what;
  return "layer " + std::to_string(*c.layer) + " (" + c.path + ") " + c.what;
}

class Checker {
 public:
  explicit Checker(bool json) : json_(json) {}

  // Records one comparison; text output prints it at once (verifying takes a while).
  void Check(DigestCheck check) {
    if (Mismatched(check)) ++mismatches_;
    if (!json_) Print(check);
    checks_.push_back(std::move(check));
  }
  int mismatches() const { return mismatches_; }

  std::string ToJson(const std::string& image) const {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    WriteString(w, "image", image);
    w.Key("ok");
    w.Bool(mismatches_ == 0);
    WriteUint(w, "mismatches", static_cast<uint64_t>(mismatches_));
    w.Key("checks");
    w.StartArray();
    for (const DigestCheck& c : checks_) {
      w.StartObject();
      WriteString(w, "what", c.what);
      w.Key("layer");
      if (c.layer) {
        w.Uint64(*c.layer);
      } else {
        w.Null();
      }
      WriteString(w, "path", c.path);
      WriteStringOrNull(w, "expected", c.expected);
      WriteString(w, "computed", c.computed);
      if (!c.size_problem.empty()) WriteString(w, "size_problem", c.size_problem);
      w.Key("ok");
      if (c.expected.empty() && c.size_problem.empty()) {
        w.Null();
      } else {
        w.Bool(!Mismatched(c));
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return JsonLine(buffer);
  }

 private:
  static void Print(const DigestCheck& c) {
    std::string what = Label(c);
    if (!c.size_problem.empty()) {
      std::printf("MISMATCH  %s: size mismatch: %s; expected %s, content has %s\n", what.c_str(),
                  c.size_problem.c_str(), c.expected.empty() ? "no digest" : c.expected.c_str(),
                  c.computed.c_str());
    } else if (c.expected.empty()) {
      std::printf("skip      %s (no digest stated)\n", what.c_str());
    } else if (c.expected == c.computed) {
      std::printf("ok        %s %s\n", what.c_str(), c.expected.c_str());
    } else {
      std::printf("MISMATCH  %s: expected %s, content has %s\n", what.c_str(), c.expected.c_str(),
                  c.computed.c_str());
    }
  }

  bool json_;
  int mismatches_ = 0;
  std::vector<DigestCheck> checks_;
};

}  // namespace

int RunVerify(const std::vector<std::string>& args) {
  ImageArgs image;
  bool json = false;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kVerifyHelp << ImageOptionsHelp();
      return 0;
    }
    if (TakeImageOption(args, i, image)) continue;
    if (arg == "--json") {
      json = true;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') UsageError("verify", "unknown option " + arg);
    positional.push_back(arg);
  }
  if (positional.size() != 1) UsageError("verify", "expected IMAGE");
  auto [file, tag] = SplitImageArgument(positional[0]);
  if (!tag.empty()) image.view.selector.name = tag;
  auto files = OpenImageFiles(file);
  Image img;
  try {
    img = ReadImage(*files, image.view.selector, false);
  } catch (const Error& e) {
    // Reading the image already checks the manifest and the config, and the size of every blob
    // its descriptor states: a mismatch there is one of verify's findings, reported like the
    // others.
    if (e.kind() != ErrorKind::kIntegrity) throw;
    if (json) {
      rapidjson::StringBuffer buffer;
      JsonWriter w(buffer);
      w.StartObject();
      WriteString(w, "image", file);
      w.Key("ok");
      w.Bool(false);
      WriteUint(w, "mismatches", 1);
      WriteString(w, "error", e.what());
      w.Key("checks");
      w.StartArray();
      w.EndArray();
      w.EndObject();
      std::fputs(JsonLine(buffer).c_str(), stdout);
    } else {
      std::printf("MISMATCH  %s\n", e.what());
    }
    std::fflush(stdout);
    std::fprintf(stderr, "imgmount: %s: 1 digest(s) do not match\n", file.c_str());
    return 1;
  }
  Checker checker(json);
  if (IsValidDigest(img.manifest_digest)) {
    std::string path = BlobPath(img.manifest_digest, file);
    checker.Check({"manifest", std::nullopt, path, img.manifest_digest,
                   DigestOfSource(*files->Open(path), img.manifest_digest), ""});
  }
  checker.Check({"config", std::nullopt, img.config_path, img.config_digest,
                 DigestOfSource(*files->Open(img.config_path), img.config_digest), ""});
  for (size_t i = 0; i < img.layers.size(); ++i) {
    const LayerBlob& layer = img.layers[i];
    std::string name = "layer " + std::to_string(i + 1) + " (" + layer.path + ")";
    DecodeOptions options;
    options.blob_algorithm = AlgorithmOf(layer.digest);
    options.stream_algorithm = AlgorithmOf(layer.diff_id);
    auto pass = DecodePass::Start(layer.blob, SniffCodec(*layer.blob), name, options);
    std::vector<std::byte> buffer(1 << 20);
    while (pass->Read(buffer) > 0) {
    }
    checker.Check(
        {"blob", i + 1, layer.path, layer.digest, pass->BlobDigest(), LayerSizeProblem(layer)});
    checker.Check({"diff_id", i + 1, layer.path, layer.diff_id, pass->StreamDigest(), ""});
  }
  if (json) std::cout << checker.ToJson(file);
  std::fflush(stdout);
  if (checker.mismatches() > 0) {
    std::fprintf(stderr, "imgmount: %s: %d digest(s) do not match\n", file.c_str(),
                 checker.mismatches());
    return 1;
  }
  return 0;
}

}  // namespace imgmount
