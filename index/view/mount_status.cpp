#include "index/view/mount_status.h"

// json.h first: it configures RapidJSON (assertions that throw) before any of its headers.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>

#include "layers/base/error.h"
#include "layers/image/json.h"

namespace imgmount {
namespace {

constexpr const char* kMountStates[] = {"indexing", "complete", "failed"};
constexpr const char* kLayerStates[] = {"queued", "indexing", "ready", "failed"};

// Longest error message kept in the document.
constexpr size_t kMaxErrorBytes = 1024;

std::string Cut(const std::string& text) {
  return text.size() <= kMaxErrorBytes ? text : text.substr(0, kMaxErrorBytes) + "...";
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteText(Writer& w, const char* key, const std::string& value, bool null_if_empty) {
  w.Key(key);
  if (value.empty() && null_if_empty) {
    w.Null();
  } else {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
}

std::string Encode(const MountStatus& status, bool with_digests, bool with_layer_errors) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  WriteText(w, "image", status.image, false);
  w.Key("pid");
  w.Int64(status.pid);
  WriteText(w, "state", StateName(status.state), false);
  WriteText(w, "error", Cut(status.error), true);
  w.Key("layers");
  w.StartArray();
  for (const MountStatus::Layer& layer : status.layers) {
    w.StartObject();
    if (with_digests) WriteText(w, "digest", layer.digest, false);
    WriteText(w, "state", StateName(layer.state), false);
    w.Key("done");
    w.Uint64(layer.done);
    w.Key("total");
    w.Uint64(layer.total);
    WriteText(w, "error", with_layer_errors ? Cut(layer.error) : "", true);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The index of `name` in `names`; throws through `doc` if it is none of them.
template <size_t N>
size_t StateIndex(const JsonDoc& doc, const std::string& name, const char* const (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return i;
  }
  doc.Fail("unknown state \"" + name + "\"");
}

}  // namespace

size_t MountStatus::LayersReady() const {
  return static_cast<size_t>(std::count_if(layers.begin(), layers.end(), [](const Layer& l) {
    return l.state == LayerProgress::State::kReady;
  }));
}

unsigned MountStatus::Percent() const {
  if (state == State::kComplete) return 100;
  uint64_t done = 0;
  uint64_t total = 0;
  for (const Layer& layer : layers) {
    total += layer.total;
    done += std::min(layer.done, layer.total);
  }
  if (total == 0) return 0;
  // Long double: byte counts times 100 may not fit 64 bits.
  return static_cast<unsigned>(static_cast<long double>(done) * 100 / total);
}

MountStatus StatusOf(const LazyImage& image, const std::string& image_name, int64_t pid) {
  MountStatus status;
  status.image = image_name;
  status.pid = pid;
  std::vector<LayerProgress> progress = image.Progress();
  for (uint32_t k = 0; k < progress.size(); ++k) {
    const LayerBlob& blob = image.image().layers[k];
    MountStatus::Layer layer;
    layer.digest = blob.digest.empty() ? blob.diff_id : blob.digest;
    layer.state = progress[k].state;
    layer.done = progress[k].done;
    layer.total = progress[k].total;
    layer.error = progress[k].error;
    // The first failed layer from the bottom: the one the tree's error names.
    if (layer.state == LayerProgress::State::kFailed && status.error.empty()) {
      status.state = MountStatus::State::kFailed;
      status.error = layer.error;
    }
    status.layers.push_back(std::move(layer));
  }
  if (image.Finished()) {
    try {
      image.WaitTree();
      status.state = MountStatus::State::kComplete;
    } catch (const std::exception& e) {
      status.state = MountStatus::State::kFailed;
      status.error = e.what();
    }
  }
  return status;
}

const char* StateName(MountStatus::State state) {
  return kMountStates[static_cast<int>(state)];
}

const char* StateName(LayerProgress::State state) {
  return kLayerStates[static_cast<int>(state)];
}

std::string EncodeMountStatus(const MountStatus& status) {
  std::string text = Encode(status, true, true);
  if (text.size() > kMaxMountStatusBytes) text = Encode(status, false, true);
  if (text.size() > kMaxMountStatusBytes) text = Encode(status, false, false);
  if (text.size() > kMaxMountStatusBytes) {
    MountStatus brief = status;  // thousands of layers: the mount's state alone
    brief.layers.clear();
    text = Encode(brief, false, false);
  }
  return text;
}

MountStatus DecodeMountStatus(std::string_view text, const std::string& name) {
  JsonDoc doc(text, name);
  const rapidjson::Value& root = doc.RootObject();
  MountStatus status;
  status.image = doc.String(root, "image");
  const rapidjson::Value* pid = doc.Find(root, "pid");
  if (pid == nullptr || !pid->IsInt64()) doc.Fail("\"pid\" is not an integer");
  status.pid = pid->GetInt64();
  status.state =
      static_cast<MountStatus::State>(StateIndex(doc, doc.String(root, "state"), kMountStates));
  status.error = doc.OptString(root, "error").value_or("");
  if (const rapidjson::Value* layers = doc.OptArray(root, "layers")) {
    for (const rapidjson::Value& item : layers->GetArray()) {
      if (!item.IsObject()) doc.Fail("a layer is not an object");
      MountStatus::Layer layer;
      layer.digest = doc.OptString(item, "digest").value_or("");
      layer.state = static_cast<LayerProgress::State>(
          StateIndex(doc, doc.String(item, "state"), kLayerStates));
      layer.done = doc.OptUint(item, "done").value_or(0);
      layer.total = doc.OptUint(item, "total").value_or(0);
      layer.error = doc.OptString(item, "error").value_or("");
      status.layers.push_back(std::move(layer));
    }
  }
  return status;
}

}  // namespace imgmount
