// The table and JSON of the images a container holds (`imgmount images`, and `inspect` of an
// archive or layout that holds several).
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <string>
#include <vector>

#include "layers/image/image.h"

namespace imgmount {

/// Prints one line per name and platform: NAME, PLATFORM, DIGEST, IMAGE ID, LAYERS, SIZE;
/// digests cut to 12 hex digits unless `no_trunc`; sizes in docker's units unless `!human`.
void PrintImageTable(const std::vector<ImageListing>& images, bool no_trunc, bool human);

/// The pretty JSON writer of the image-level reports (inspect, images).
using PrettyJsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

/// Writes the images as a JSON array, one object per image and platform (missing values null).
void WriteImageList(PrettyJsonWriter& w, const std::vector<ImageListing>& images);

/// The number of distinct images (groups) in `images`, whatever their platforms.
size_t CountImageGroups(const std::vector<ImageListing>& images);

}  // namespace imgmount
