// `imgmount config IMAGE` and `imgmount manifest IMAGE`: the config and the image manifest
// exactly as stored (as `crane config` / `crane manifest`), byte for byte, to stdout. A docker
// save of Docker <= 24 and a skopeo/podman docker-archive store no manifest (only manifest.json,
// which describes every image of the tar): `manifest` prints for them the Docker v2 schema 2
// manifest that `skopeo inspect --raw docker-archive:FILE` makes: the config's size and digest,
// and one layer per diff_id with the layer file's size, as skopeo writes it.
#include <cstdio>
#include <iostream>

#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/image/json.h"
#include "tools/cli_common.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

constexpr const char* kConfigHelp =
    "usage: imgmount config [OPTIONS] IMAGE\n"
    "Write the image's config JSON to stdout exactly as stored (as `crane config`).\n";

constexpr const char* kManifestHelp =
    "usage: imgmount manifest [--index] [OPTIONS] IMAGE\n"
    "Write the image manifest to stdout exactly as stored (as `crane manifest`): of the chosen\n"
    "platform for a multi-platform image. A docker save of Docker <= 24 or a docker-archive has\n"
    "none; for those it writes the manifest `skopeo inspect --raw docker-archive:FILE` makes.\n"
    "  --index   the image index (manifest list) that lists the manifest instead (exit 3 if\n"
    "            the image has none)\n";

std::string ReadStored(const ImageFiles& files, const std::string& path) {
  return ReadAll(*files.Open(path), kMaxJsonBytes);
}

void WriteBytes(const std::string& bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
}

// The manifest skopeo's docker-archive source makes of a manifest.json entry.
std::string SkopeoManifest(const ImageHeader& header) {
  const ImageFiles& files = *header.container.files;
  std::string config = ReadStored(files, header.image.config_path);
  Hasher hash;
  hash.Update(std::as_bytes(std::span(config.data(), config.size())));
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteUint(w, "schemaVersion", 2);
  WriteString(w, "mediaType", "application/vnd.docker.distribution.manifest.v2+json");
  w.Key("config");
  w.StartObject();
  WriteString(w, "mediaType", "application/vnd.docker.container.image.v1+json");
  WriteUint(w, "size", config.size());
  WriteString(w, "digest", hash.Finish());
  w.EndObject();
  w.Key("layers");
  w.StartArray();
  for (const LayerBlob& layer : header.image.layers) {
    w.StartObject();
    WriteString(w, "mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip");
    WriteUint(w, "size", layer.blob->Size());
    WriteString(w, "digest", layer.diff_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

int ShowConfig(const ImageHeader& header) {
  WriteBytes(ReadStored(*header.container.files, header.image.config_path));
  return 0;
}

int ShowManifest(const ImageHeader& header, const ManifestOptions& opts) {
  const ImageFiles& files = *header.container.files;
  if (opts.index) {
    if (header.image.index_path.empty()) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  files.name() + ": the image has no image index (" + header.image.format + ")");
    }
    WriteBytes(ReadStored(files, header.image.index_path));
    return 0;
  }
  if (header.image.manifest_path.empty()) {
    WriteBytes(SkopeoManifest(header));
  } else {
    WriteBytes(ReadStored(files, header.image.manifest_path));
  }
  return 0;
}

namespace {

// Parses the arguments of config (`manifest` false) or manifest and opens the image.
ImageHeader ParseRawArgs(const std::vector<std::string>& args, const char* command,
                         const char* help, ManifestOptions* manifest, bool* asked_help) {
  ImageArgs image;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << help << ImageOptionsHelp();
      *asked_help = true;
      return {};
    }
    if (TakeImageOption(args, i, image)) continue;
    if (manifest != nullptr && arg == "--index") {
      manifest->index = true;
    } else if (arg.starts_with("-")) {
      UsageError(command, "unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1) UsageError(command, "expected IMAGE");
  image.image = positional[0];
  std::string file = PrepareImageArgs(image);
  return ReadImageHeader(OpenContainerOnly(file, image.view), image.view);
}

}  // namespace

int RunConfig(const std::vector<std::string>& args) {
  bool help = false;
  ImageHeader header = ParseRawArgs(args, "config", kConfigHelp, nullptr, &help);
  return help ? 0 : ShowConfig(header);
}

int RunManifest(const std::vector<std::string>& args) {
  bool help = false;
  ManifestOptions opts;
  ImageHeader header = ParseRawArgs(args, "manifest", kManifestHelp, &opts, &help);
  return help ? 0 : ShowManifest(header, opts);
}

}  // namespace imgmount
