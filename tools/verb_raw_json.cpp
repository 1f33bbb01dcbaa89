// `imgmount config IMAGE` and `imgmount manifest IMAGE`: the config and the image manifest
// exactly as stored (as `crane config` / `crane manifest`), byte for byte, to stdout. A docker
// save of Docker <= 24 and a skopeo/podman docker-archive store no manifest (only manifest.json,
// which describes every image of the tar): `manifest` prints for them the Docker v2 schema 2
// manifest that `skopeo inspect --raw docker-archive:FILE` makes: the config's size and digest,
// and one layer per diff_id with the layer file's size, as skopeo writes it.
#include <cstdio>
#include <iostream>
#include <memory>

#include "layers/base/error.h"
#include "layers/base/hasher.h"
#include "layers/image/json.h"
#include "tools/cli_common.h"
#include "tools/command_line.h"
#include "tools/inspect_verbs.h"
#include "tools/json_output.h"
#include "tools/verbs.h"

namespace imgmount {
namespace {

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

void AddConfigCommand(CommandLine& cli) {
  auto image = std::make_shared<std::string>();
  CLI::App* config = cli.AddVerb({"config",
                                  "write the image's config JSON exactly as stored",
                                  {{"imgmount config [OPTIONS] IMAGE"},
                                   "As `crane config`, to standard output.",
                                   GlobalUse::kImage}},
                                 [&cli, image] {
                                   ImageArgs args = cli.ImageOptions(*image);
                                   return ShowConfig(OpenImageHeaderFromArgs(args));
                                 });
  config->add_option("IMAGE", *image, "the image")->required();
}

void AddManifestCommand(CommandLine& cli) {
  struct Args {
    std::string image;
    ManifestOptions opts;
  };
  auto args = std::make_shared<Args>();
  CLI::App* manifest = cli.AddVerb(
      {"manifest",
       "write the image manifest exactly as stored",
       {{"imgmount manifest [--index] [OPTIONS] IMAGE"},
        "As `crane manifest`, to standard output: of the chosen platform for a multi-platform\n"
        "image. A docker save of Docker <= 24 or a docker-archive has none; for those it writes\n"
        "the manifest `skopeo inspect --raw docker-archive:FILE` makes.",
        GlobalUse::kImage}},
      [&cli, args] {
        ImageArgs image = cli.ImageOptions(args->image);
        return ShowManifest(OpenImageHeaderFromArgs(image), args->opts);
      });
  manifest->add_flag("--index", args->opts.index,
                     "the image index (manifest list) that lists the manifest instead (exit 3 if "
                     "the image has none)");
  manifest->add_option("IMAGE", args->image, "the image")->required();
}

}  // namespace imgmount
