// `imgmount verify IMAGE`: recomputes every digest the image states -- the manifest, the config,
// each layer blob and each layer's uncompressed stream (diff_id) -- and reports each mismatch, as
// text or as one JSON document. (Reading the image checks the manifest and the config already,
// digest and size; their mismatch stops it there.) A layer blob whose size is not its
// descriptor's fails its blob check. A layer whose compressed stream cannot be decoded (corrupt,
// truncated) is a finding like a mismatch: its blob is still hashed as stored, its diff_id check
// names the decoder's error, and the other layers are checked all the same. So is an archive
// compressed as a whole whose stream cannot be decoded, though nothing inside it can be checked.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/basic_sources.h"
#include "layers/source/source_digest.h"
#include "layers/stream/decode_pass.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/json_output.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

// The digest of `source` with the hash function `stated` names (SHA-256 if none).
std::string DigestOfSource(const ByteSource& source, const std::string& stated) {
  return DigestOfSource(source, AlgorithmOf(stated));
}

// One comparison of a stated digest with the content's.
struct DigestCheck {
  std::string what;             // "manifest", "config", "blob" or "diff_id"
  std::optional<size_t> layer;  // 1 = bottom
  std::string path;             // the blob's path in the image
  std::string expected;         // "" if the format states no digest
  std::string computed;         // "" if the content cannot be decoded (see error)
  std::string error;            // why the content cannot be decoded, else ""
  std::string size_problem;     // a blob not of its descriptor's size: what the two sizes are

  /// Whether the check fails: the digests differ, the blob's size is not its descriptor's, or
  /// the content cannot be decoded.
  bool Fails() const {
    return !error.empty() || !size_problem.empty() || (!expected.empty() && expected != computed);
  }
};

// "manifest", "config PATH", "archive PATH", "layer N (PATH) blob": what a text line names.
std::string Label(const DigestCheck& c) {
  if (!c.layer) return c.what == "manifest" ? c.what : c.what + " " + c.path;
  return "layer " + std::to_string(*c.layer) + " (" + c.path + ") " + c.what;
}

class Checker {
 public:
  explicit Checker(bool json) : json_(json) {}

  // Records one comparison; text output prints it at once (verifying takes a while).
  void Check(DigestCheck check) {
    if (check.Fails()) ++mismatches_;
    if (!json_) Print(check);
    checks_.push_back(std::move(check));
  }
  int mismatches() const { return mismatches_; }

  // The report; `error` is set when nothing but that error could be checked.
  std::string ToJson(const std::string& image, const std::string& error = "") const {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    WriteString(w, "image", image);
    w.Key("ok");
    w.Bool(mismatches_ == 0);
    WriteUint(w, "mismatches", static_cast<uint64_t>(mismatches_));
    if (!error.empty()) WriteString(w, "error", error);
    w.Key("checks");
    w.StartArray();
    for (const DigestCheck& c : checks_) {
      w.StartObject();
      WriteString(w, "what", c.what);
      WriteUintOrNull(w, "layer", c.layer);
      WriteString(w, "path", c.path);
      WriteStringOrNull(w, "expected", c.expected);
      WriteStringOrNull(w, "computed", c.computed);
      WriteStringOrNull(w, "error", c.error);
      if (!c.size_problem.empty()) WriteString(w, "size_problem", c.size_problem);
      w.Key("ok");
      if (c.expected.empty() && c.error.empty() && c.size_problem.empty()) {
        w.Null();
      } else {
        w.Bool(!c.Fails());
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
    } else if (!c.error.empty() && c.expected.empty()) {
      std::printf("MISMATCH  %s: the stream cannot be decoded: %s\n", what.c_str(),
                  c.error.c_str());
    } else if (!c.error.empty()) {
      std::printf("MISMATCH  %s: expected %s, the stream cannot be decoded: %s\n", what.c_str(),
                  c.expected.c_str(), c.error.c_str());
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

// Whether `e` says that a compressed stream is corrupt or truncated (or its digest wrong), as
// opposed to trouble reading the file: the former is a finding, the latter stops verify.
bool IsContentError(const Error& e) {
  return e.kind() == ErrorKind::kBadImage || e.kind() == ErrorKind::kIntegrity;
}

// Decodes all of `blob` (named `name` in errors); "" if its stream decodes to the end, else why
// not. An uncompressed blob always decodes.
std::string UndecodableBecause(SourcePtr blob, const std::string& name) {
  try {
    DecodeOptions options;
    options.hash = false;
    auto pass = StartDecodePass(blob, SniffCodec(*blob), name, options);
    std::vector<std::byte> buffer(1 << 20);
    while (pass->Read(buffer) > 0) {
    }
  } catch (const Error& e) {
    if (!IsContentError(e)) throw;
    return e.what();
  }
  return "";
}

// The checks of layer `number` (1 = bottom): its blob as stored, and its uncompressed stream.
void CheckLayer(Checker& checker, const LayerBlob& layer, size_t number) {
  std::string name = "layer " + std::to_string(number) + " (" + layer.path + ")";
  DecodeOptions options;
  options.blob_algorithm = AlgorithmOf(layer.digest);
  options.stream_algorithm = AlgorithmOf(layer.diff_id);
  std::string blob_digest;
  std::string stream_digest;
  std::string error;
  try {
    auto pass = StartDecodePass(layer.blob, SniffCodec(*layer.blob), name, options);
    std::vector<std::byte> buffer(1 << 20);
    while (pass->Read(buffer) > 0) {
    }
    blob_digest = pass->BlobDigest();
    stream_digest = pass->StreamDigest();
  } catch (const Error& e) {
    if (!IsContentError(e)) throw;
    error = e.what();
    blob_digest = DigestOfSource(*layer.blob, layer.digest);
  }
  checker.Check(
      {"blob", number, layer.path, layer.digest, blob_digest, "", LayerSizeProblem(layer)});
  checker.Check({"diff_id", number, layer.path, layer.diff_id, stream_digest, error, ""});
}

// Reports an archive compressed as a whole whose stream cannot be decoded (nothing in it can be
// checked); returns verify's exit code.
int ReportUndecodableArchive(const std::string& file, const std::string& error, bool json) {
  Checker checker(json);
  checker.Check({"archive", std::nullopt, file, "", "", error, ""});
  if (json) std::cout << checker.ToJson(file, error);
  std::fflush(stdout);
  std::fprintf(stderr, "imgmount: %s: the archive's compressed stream cannot be decoded\n",
               file.c_str());
  return 1;
}

// Verifies the image `image` names; exit code 0 if every digest matches, 1 if not.
int Verify(ImageArgs image, bool json) {
  std::string file = ChooseImage(image);
  if (image.view.upto != 0)
    UsageError("verify", "--upto does not go with verify: it checks every layer");
  std::unique_ptr<ImageFiles> files;
  try {
    files = OpenImageFiles(file, image.view.registry, image.view.containerd);
  } catch (const Error& e) {
    // A compressed archive whose own stream is corrupt: a finding, not a reason to stop.
    struct stat st {};
    if (!IsContentError(e) || ::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) throw;
    std::string error = UndecodableBecause(FileSource::Open(file), "archive " + file);
    if (error.empty()) throw;
    return ReportUndecodableArchive(file, error, json);
  }
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
                   DigestOfSource(*files->Open(path), img.manifest_digest), "", ""});
  }
  checker.Check({"config", std::nullopt, img.config_path, img.config_digest,
                 DigestOfSource(*files->Open(img.config_path), img.config_digest), "", ""});
  for (size_t i = 0; i < img.layers.size(); ++i) CheckLayer(checker, img.layers[i], i + 1);
  if (json) std::cout << checker.ToJson(file);
  std::fflush(stdout);
  if (checker.mismatches() > 0) {
    std::fprintf(stderr, "imgmount: %s: %d digest(s) do not match\n", file.c_str(),
                 checker.mismatches());
    return 1;
  }
  return 0;
}

}  // namespace

void AddVerifyCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* verify = cli.AddVerb(
      {"verify",
       "check every digest of the image: manifest, config, layers, diff_ids",
       {{"imgmount verify [--json] [OPTIONS] IMAGE"},
        "Reads all of the image. Prints one line per check; exits 0 if all match, 1 if any does\n"
        "not.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        return Verify(image, args->json);
      });
  verify->add_flag("--json", args->json,
                   "one JSON object: image, ok (all match), mismatches and checks, each with what "
                   "(manifest, config, blob, diff_id), layer (1 = bottom; null for manifest and "
                   "config), path, expected and computed digests, and ok (null: no digest "
                   "stated); a manifest or config that does not match stops it: error, and no "
                   "checks");
  verify->add_option("IMAGE", args->image, "the image")->required();
}

}  // namespace imgmount
