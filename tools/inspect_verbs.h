// The verbs that read an image's manifests and config but no layer: inspect, history, config,
// manifest and images. Each is a function of an opened image and its options, apart from the
// parsing of its arguments (the Run* functions of verbs.h).
#pragma once

#include <vector>

#include "index/view/image_header.h"
#include "index/view/view_options.h"

namespace imgmount {

/// What `inspect` prints.
struct InspectOptions {
  /// JSON instead of text.
  bool json = false;
};

/// Prints the format, names, platforms, config and layers of `header`; returns the exit code.
int ShowInspect(const ImageHeader& header, const ViewOptions& options, const InspectOptions& opts);

/// Prints the images of a container that holds several (inspect without IMAGE:TAG); exit code.
int ShowImageChoice(const OpenedContainer& container, const std::vector<ImageListing>& images,
                    const InspectOptions& opts);

/// What `history` prints.
struct HistoryOptions {
  /// Relative times and docker-style sizes (true), or RFC 3339 times and bytes.
  bool human = true;
  /// Whole CREATED BY lines instead of 45 characters.
  bool no_trunc = false;
  /// A JSON array instead of the table.
  bool json = false;
  /// "Now", for relative times (Unix seconds).
  int64_t now = 0;
};

/// Prints the history of `header`, newest first, as `docker history`; returns the exit code.
int ShowHistory(const ImageHeader& header, const ViewOptions& options, const HistoryOptions& opts);

/// What `manifest` prints.
struct ManifestOptions {
  /// The index (or manifest list) that lists the image's manifest instead of the manifest.
  bool index = false;
};

/// Writes the config blob of `header`, byte for byte, to stdout; returns the exit code.
int ShowConfig(const ImageHeader& header);

/// Writes the image manifest of `header` (or with opts.index its index), byte for byte, to
/// stdout; a docker save without one gets the manifest skopeo makes of it. Returns the exit code.
int ShowManifest(const ImageHeader& header, const ManifestOptions& opts);

/// What `images` prints.
struct ImagesOptions {
  bool json = false;
  bool no_trunc = false;
  /// Docker-style sizes (true) or bytes.
  bool human = true;
};

/// Lists every image and platform of `container`; returns the exit code.
int ShowImages(const OpenedContainer& container, const ImagesOptions& opts);

}  // namespace imgmount
