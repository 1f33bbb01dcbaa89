#include "layers/image/descriptor.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>

#include "layers/base/digest.h"
#include "layers/base/error.h"

namespace imgmount {
namespace {

// A scalar JSON value as it appears in the document (cut short), or the kind of a container.
std::string Shown(const rapidjson::Value& value) {
  if (value.IsArray()) return "an array";
  if (value.IsObject()) return "an object";
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  std::string text(buffer.GetString(), buffer.GetSize());
  return text.size() > 60 ? text.substr(0, 60) + "..." : text;
}

}  // namespace

BlobDescriptor ParseDescriptor(const JsonDoc& doc, const rapidjson::Value& value,
                               const char* what) {
  if (!value.IsObject()) doc.Fail(std::string("a ") + what + " descriptor is not an object");
  BlobDescriptor out;
  out.digest = doc.String(value, "digest");
  if (!IsValidDigest(out.digest)) {
    doc.Fail(std::string("invalid digest \"") + out.digest.substr(0, 80) + "\" in a " + what +
             " descriptor");
  }
  std::string named = std::string(what) + " " + ShortDigest(out.digest);
  const rapidjson::Value* size = doc.Find(value, "size");
  if (size == nullptr) doc.Fail("the descriptor of " + named + " has no size");
  // Go's int64, as every runtime decodes it, and never negative.
  if (!size->IsUint64() || size->GetUint64() > static_cast<uint64_t>(INT64_MAX)) {
    doc.Fail("the size of " + named + " is not a non-negative integer: " + Shown(*size));
  }
  out.size = size->GetUint64();
  out.media_type = doc.OptString(value, "mediaType").value_or("");
  if (const rapidjson::Value* annotations = doc.OptObject(value, "annotations")) {
    for (const auto& member : annotations->GetObject()) {
      if (!member.value.IsString()) doc.Fail("an annotation of " + named + " is not a string");
      out.annotations.emplace_back(
          std::string(member.name.GetString(), member.name.GetStringLength()),
          std::string(member.value.GetString(), member.value.GetStringLength()));
    }
  }
  doc.StringArray(value, "urls");
  return out;
}

void CheckManifestHeader(const JsonDoc& doc) {
  const rapidjson::Value& root = doc.RootObject();
  const rapidjson::Value* version = doc.Find(root, "schemaVersion");
  if (version == nullptr) doc.Fail("no schemaVersion (expected 2)");
  if (!version->IsInt() || version->GetInt() != 2) {
    doc.Fail("schemaVersion is " + Shown(*version) + ", not 2");
  }
  doc.OptString(root, "mediaType");
}

std::string SizeProblem(uint64_t stated, uint64_t actual) {
  if (stated == actual) return "";
  return "its descriptor says " + std::to_string(stated) + " bytes, the blob has " +
         std::to_string(actual);
}

void CheckBlobSize(const ByteSource& blob, uint64_t size, const std::string& name,
                   const std::string& what) {
  std::string problem = SizeProblem(size, blob.Size());
  if (problem.empty()) return;
  throw Error(ErrorKind::kIntegrity, EIO, name + ": " + what + " size mismatch: " + problem);
}

bool IsManifestMediaType(const std::string& type) {
  return type == "application/vnd.oci.image.index.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.list.v2+json" ||
         type == "application/vnd.oci.image.manifest.v1+json" ||
         type == "application/vnd.docker.distribution.manifest.v2+json";
}

std::string OneManifestIndexJson(const std::string& media_type, const std::string& digest,
                                 uint64_t size, const std::string& annotation_key,
                                 const std::string& annotation_value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto text = [&w](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("schemaVersion");
  w.Int(2);
  w.Key("mediaType");
  w.String("application/vnd.oci.image.index.v1+json");
  w.Key("manifests");
  w.StartArray();
  w.StartObject();
  w.Key("mediaType");
  text(media_type);
  w.Key("digest");
  text(digest);
  w.Key("size");
  w.Uint64(size);
  if (!annotation_key.empty()) {
    w.Key("annotations");
    w.StartObject();
    text(annotation_key);
    text(annotation_value);
    w.EndObject();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace imgmount
