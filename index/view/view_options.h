// What shapes the opening of an image: which image, how many layers, the decode tunables, the
// index cache, and where warnings and notes go. The eager view (image_view.h), the lazy image
// (lazy_image.h) and the command line (tools/) all fill in or read this one value.
#pragma once

#include <cstddef>
#include <string>

#include "layers/base/error.h"
#include "layers/containerd/containerd_store.h"
#include "layers/image/image.h"
#include "layers/registry/registry_access.h"
#include "layers/stream/decode_pass.h"

namespace imgmount {

/// How to open an image.
struct ViewOptions {
  /// Which image and platform of the container.
  ImageSelector selector;
  /// Use only the bottom N layers (the image as it stood after layer N); 0 = all.
  size_t upto = 0;
  /// Tunables of the decode passes.
  DecodeOptions decode;
  /// Receives warnings (ignored members, media-type disagreements, index cache trouble).
  WarningSink warn;
  /// Directory of the persistent index cache (index_cache.h); "" keeps indexes in memory only.
  std::string cache_dir;
  /// Receives one note per layer (and compressed archive) on where its index came from:
  /// "layer 2 (sha256:ab12..): index loaded from cache" or "...: indexed in 1.23 s".
  WarningSink info;
  /// How registries are reached (--tls-verify, --cert-dir, --authfile, --creds).
  RegistryAccess registry;
  /// Where containerd's images are looked up (--containerd-root, --namespace).
  ContainerdAccess containerd;
};

}  // namespace imgmount
