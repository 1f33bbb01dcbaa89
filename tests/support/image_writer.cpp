// WriteImages: picks the layout builder of a format and writes its result as a tar or a tree.
#include "tests/support/image_writer.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/support/image_formats.h"

namespace imgmount::fixture {
namespace {

// The format names, indexed by the enum value.
const char* const kFormatNames[] = {"docker-legacy",  "docker-oci", "containerd",
                                    "docker-archive", "oci-dir",    "oci-archive"};

// Builds the file list of the requested format after checking the inputs.
Layout BuildLayout(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  if (images.empty()) throw std::invalid_argument("no image to write");
  for (const ImageSpec& spec : images) {
    if (spec.tags.empty()) throw std::invalid_argument("image without a tag");
    if (spec.platforms.empty()) throw std::invalid_argument("image without a platform");
  }
  switch (options.format) {
    case ImageFormat::kDockerLegacy:
      return DockerLegacyLayout(images, options);
    case ImageFormat::kDockerOci:
      return DockerOciLayout(images, options);
    case ImageFormat::kContainerd:
      return ContainerdLayout(images, options);
    case ImageFormat::kDockerArchive:
      return DockerArchiveLayout(images, options);
    case ImageFormat::kOciDir:
    case ImageFormat::kOciArchive: {
      Layout layout = OciLayout(images, options);
      if (options.format == ImageFormat::kOciArchive) layout.SortByName();
      return layout;
    }
  }
  throw std::invalid_argument("unknown image format");
}

}  // namespace

std::string BuildImageArchive(const std::vector<ImageSpec>& images, const WriteOptions& options) {
  if (options.format == ImageFormat::kOciDir) {
    throw std::invalid_argument("oci-dir is a directory, not an archive");
  }
  return WrapOuter(BuildLayout(images, options).ToTar(), options);
}

void WriteImages(const std::vector<ImageSpec>& images, const WriteOptions& options,
                 const std::string& out_path) {
  if (options.format == ImageFormat::kOciDir) {
    if (options.outer != Compression::kNone) {
      throw std::invalid_argument("outer compression needs a tar format, not oci-dir");
    }
    if (std::filesystem::exists(out_path) && !std::filesystem::is_empty(out_path)) {
      throw std::invalid_argument(out_path + " exists and is not an empty directory");
    }
    BuildLayout(images, options).WriteTree(out_path);
    return;
  }
  const std::string bytes = BuildImageArchive(images, options);
  const std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, out_path);
}

ImageFormat ParseImageFormat(std::string_view name) {
  for (size_t i = 0; i < std::size(kFormatNames); ++i) {
    if (name == kFormatNames[i]) return static_cast<ImageFormat>(i);
  }
  throw std::invalid_argument("unknown format '" + std::string(name) +
                              "' (expected docker-legacy, docker-oci, containerd, "
                              "docker-archive, oci-dir or oci-archive)");
}

const char* ImageFormatName(ImageFormat format) {
  return kFormatNames[static_cast<size_t>(format)];
}

std::vector<std::string> ImageFormatNames() {
  return std::vector<std::string>(std::begin(kFormatNames), std::end(kFormatNames));
}

}  // namespace imgmount::fixture
