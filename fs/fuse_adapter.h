// The FUSE low-level operations of imgmount, serving an image read-only: from its union tree once
// built, and from the layers indexed so far before that (node_source.h). Open resolves a regular
// file once into the per-open state its reads and lseeks are served from (open_file.h).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fs/listing_attributes.h"
#include "fs/node_source.h"

struct fuse_lowlevel_ops;
struct fuse_session;

namespace imgmount {

/// Everything the FUSE operations need; passed to the session as userdata.
struct FsContext {
  /// The image's nodes.
  std::unique_ptr<NodeSource> nodes;
  /// Label of each layer position for the user.imgmount.layer attribute ("layer 3 (sha256:..)").
  std::vector<std::string> layer_labels;
  /// The image as the mount was asked for, told by the user.imgmount.status attribute.
  std::string image_name;
  /// Seconds the kernel may cache entries and attributes answered from the tree (the image
  /// never changes); answers made before the tree exists are not cached.
  double cache_seconds = 86400.0;
  /// Whether listings carry the attributes of non-directories (listing_attributes.h).
  ListingAttributes listing_attributes;
  /// The session, for notices to the kernel; set once the session exists.
  fuse_session* session = nullptr;
  /// Invalidates the kernel's cached listings of the directories listed bare, off the request
  /// threads (a notice must not be sent from a request's path); joined before the unmount.
  std::jthread listing_invalidator;
};

/// Read-ahead the mount asks for, in KiB: FUSE's largest read request (256 pages), so that a
/// sequential reader is served 1 MiB per request instead of the kernel's default 128 KiB. The
/// connection asks for it at INIT; the mount's read_ahead_kb must allow it too (RaiseReadahead).
inline constexpr unsigned kReadaheadKib = 1024;

/// The table of operations; writes answer EROFS. Userdata must be an FsContext*.
const fuse_lowlevel_ops& ImageFsOperations();

}  // namespace imgmount
