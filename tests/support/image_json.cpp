// JSON documents of images, written key by key so that output (and so digests) is deterministic.
#include "tests/support/image_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <stdexcept>

#include "tests/support/codec.h"

namespace imgmount::fixture {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes a key or string value, binary safe.
void Str(JsonWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes an array of strings.
void StrArray(JsonWriter& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const std::string& v : values) Str(w, v);
  w.EndArray();
}

// Writes a descriptor object.
void WriteDescriptor(JsonWriter& w, const Descriptor& d) {
  w.StartObject();
  Str(w, "mediaType");
  Str(w, d.media_type);
  Str(w, "digest");
  Str(w, d.digest);
  Str(w, "size");
  w.Uint64(d.size);
  if (!d.annotations.empty()) {
    Str(w, "annotations");
    w.StartObject();
    for (const auto& [k, v] : d.annotations) {
      Str(w, k);
      Str(w, v);
    }
    w.EndObject();
  }
  if (!d.os.empty()) {
    Str(w, "platform");
    w.StartObject();
    Str(w, "architecture");
    Str(w, d.architecture);
    Str(w, "os");
    Str(w, d.os);
    if (!d.variant.empty()) {
      Str(w, "variant");
      Str(w, d.variant);
    }
    w.EndObject();
  }
  w.EndObject();
}

// Writes the runtime part of a config ("config": {...}).
void WriteRuntimeConfig(JsonWriter& w, const ImageConfig& c) {
  w.StartObject();
  if (!c.user.empty()) {
    Str(w, "User");
    Str(w, c.user);
  }
  if (!c.exposed_ports.empty()) {
    Str(w, "ExposedPorts");
    w.StartObject();
    for (const std::string& port : c.exposed_ports) {
      Str(w, port);
      w.StartObject();
      w.EndObject();
    }
    w.EndObject();
  }
  if (!c.env.empty()) {
    Str(w, "Env");
    StrArray(w, c.env);
  }
  if (!c.entrypoint.empty()) {
    Str(w, "Entrypoint");
    StrArray(w, c.entrypoint);
  }
  if (!c.cmd.empty()) {
    Str(w, "Cmd");
    StrArray(w, c.cmd);
  }
  if (!c.working_dir.empty()) {
    Str(w, "WorkingDir");
    Str(w, c.working_dir);
  }
  if (!c.labels.empty()) {
    Str(w, "Labels");
    w.StartObject();
    for (const auto& [k, v] : c.labels) {
      Str(w, k);
      Str(w, v);
    }
    w.EndObject();
  }
  w.EndObject();
}

// Writes one history entry.
void WriteHistory(JsonWriter& w, const HistoryEntry& h) {
  w.StartObject();
  Str(w, "created");
  Str(w, h.created);
  Str(w, "created_by");
  Str(w, h.created_by);
  if (!h.comment.empty()) {
    Str(w, "comment");
    Str(w, h.comment);
  }
  if (h.empty_layer) {
    Str(w, "empty_layer");
    w.Bool(true);
  }
  w.EndObject();
}

}  // namespace

const MediaTypes& OciMediaTypes() {
  static const MediaTypes kTypes{
      "application/vnd.oci.image.manifest.v1+json",  "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.config.v1+json",    "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd"};
  return kTypes;
}

const MediaTypes& DockerMediaTypes() {
  static const MediaTypes kTypes{"application/vnd.docker.distribution.manifest.v2+json",
                                 "application/vnd.docker.distribution.manifest.list.v2+json",
                                 "application/vnd.docker.container.image.v1+json",
                                 "application/vnd.docker.image.rootfs.diff.tar",
                                 "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                 "application/vnd.oci.image.layer.v1.tar+zstd"};
  return kTypes;
}

const std::string& LayerMediaType(const MediaTypes& types, Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return types.layer;
    case Compression::kGzip:
    case Compression::kGzipMulti:
    case Compression::kEstargz:
      return types.layer_gzip;
    case Compression::kZstd:
    case Compression::kZstdMulti:
    case Compression::kZstdSeekable:
      return types.layer_zstd;
  }
  throw std::invalid_argument("unknown compression");
}

Descriptor DescribeBlob(const std::string& media_type, const std::string& bytes) {
  Descriptor d;
  d.media_type = media_type;
  d.digest = Sha256Digest(bytes);
  d.size = bytes.size();
  return d;
}

std::string ConfigJson(const ImageConfig& c, const std::vector<std::string>& diff_ids) {
  std::vector<HistoryEntry> history = c.history;
  if (history.empty()) {
    for (size_t i = 0; i < diff_ids.size(); ++i) {
      history.push_back({c.created, "imgmount-fixture layer " + std::to_string(i), "", false});
    }
  }
  size_t non_empty = 0;
  for (const HistoryEntry& h : history) non_empty += h.empty_layer ? 0 : 1;
  if (non_empty != diff_ids.size()) {
    throw std::invalid_argument("config history has " + std::to_string(non_empty) +
                                " non-empty entries for " + std::to_string(diff_ids.size()) +
                                " layers");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "created");
  Str(w, c.created);
  Str(w, "architecture");
  Str(w, c.architecture);
  if (!c.variant.empty()) {
    Str(w, "variant");
    Str(w, c.variant);
  }
  Str(w, "os");
  Str(w, c.os);
  Str(w, "config");
  WriteRuntimeConfig(w, c);
  Str(w, "rootfs");
  w.StartObject();
  Str(w, "type");
  Str(w, "layers");
  Str(w, "diff_ids");
  StrArray(w, diff_ids);
  w.EndObject();
  Str(w, "history");
  w.StartArray();
  for (const HistoryEntry& h : history) WriteHistory(w, h);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string ManifestJson(const MediaTypes& types, const Descriptor& config,
                         const std::vector<Descriptor>& layers) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "schemaVersion");
  w.Int(2);
  Str(w, "mediaType");
  Str(w, types.manifest);
  Str(w, "config");
  WriteDescriptor(w, config);
  Str(w, "layers");
  w.StartArray();
  for (const Descriptor& d : layers) WriteDescriptor(w, d);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string IndexJson(const std::string& media_type, const std::vector<Descriptor>& manifests,
                      bool null_manifests) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "schemaVersion");
  w.Int(2);
  Str(w, "mediaType");
  Str(w, media_type);
  Str(w, "manifests");
  if (null_manifests) {
    w.Null();
  } else {
    w.StartArray();
    for (const Descriptor& d : manifests) WriteDescriptor(w, d);
    w.EndArray();
  }
  w.EndObject();
  return buf.GetString();
}

std::string DockerManifestJson(const std::vector<DockerManifestEntry>& entries) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const DockerManifestEntry& e : entries) {
    w.StartObject();
    Str(w, "Config");
    Str(w, e.config);
    Str(w, "RepoTags");
    StrArray(w, e.tags);
    Str(w, "Layers");
    StrArray(w, e.layers);
    w.EndObject();
  }
  w.EndArray();
  return buf.GetString();
}

std::string RepositoriesJson(const std::vector<std::pair<std::string, std::string>>& ref_to_id) {
  std::map<std::string, std::map<std::string, std::string>> repos;
  for (const auto& [ref, id] : ref_to_id) {
    const size_t colon = ref.rfind(':');
    const bool has_tag = colon != std::string::npos && ref.find('/', colon) == std::string::npos;
    repos[has_tag ? ref.substr(0, colon) : ref][has_tag ? ref.substr(colon + 1) : "latest"] = id;
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& [name, tags] : repos) {
    Str(w, name);
    w.StartObject();
    for (const auto& [tag, id] : tags) {
      Str(w, tag);
      Str(w, id);
    }
    w.EndObject();
  }
  w.EndObject();
  return buf.GetString();
}

std::string V1LayerJson(const std::string& id, const std::string& parent,
                        const ImageConfig* config) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "id");
  Str(w, id);
  if (!parent.empty()) {
    Str(w, "parent");
    Str(w, parent);
  }
  Str(w, "created");
  Str(w, config ? config->created : "1970-01-01T00:00:00Z");
  Str(w, "container_config");
  WriteRuntimeConfig(w, ImageConfig{});
  if (config) {
    Str(w, "architecture");
    Str(w, config->architecture);
    Str(w, "config");
    WriteRuntimeConfig(w, *config);
  }
  Str(w, "os");
  Str(w, config ? config->os : "linux");
  w.EndObject();
  return buf.GetString();
}

std::string OciLayoutJson() {
  return "{\"imageLayoutVersion\":\"1.0.0\"}";
}

}  // namespace imgmount::fixture
