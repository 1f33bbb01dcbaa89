// Indexing progress of the FUSE-free verbs: a verb that has to index layers (a cold `ls`, `cat`,
// `diff`...) shows on a terminal, once the wait passes half a second, the same one line per layer
// as the mount does, and erases it when the layers are ready. Warnings printed meanwhile go above
// it, never through it.
#pragma once

#include <string>

#include "index/view/lazy_image.h"

namespace imgmount {

/// Waits until `image` has finished (its tree is built, or a layer failed); with `show`, draws
/// each layer's progress on stderr while the wait lasts longer than half a second, then erases it.
void WatchIndexing(const LazyImage& image, bool show);

/// Writes `line` and a newline to stderr, above the progress display if one is drawn.
void WriteStderrLine(const std::string& line);

}  // namespace imgmount
