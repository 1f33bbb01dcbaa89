// ContainerdFiles: the OCI layout view of an image in containerd's content store. index.json is
// made here from the image record's target; every blob is a file of the content store, read in
// place. The OCI reader checks each manifest, index and config against its descriptor's digest
// and size, and the indexing pass each layer, as it does for a layout directory.
#include "layers/image/containerd_files.h"

#include "layers/base/digest.h"
#include "layers/base/error.h"
#include "layers/image/descriptor.h"
#include "layers/source/basic_sources.h"

namespace imgmount {
namespace {

std::string IndexJson(const StoreImage& image) {
  return OneManifestIndexJson(image.media_type, image.digest, image.size,
                              "io.containerd.image.name", image.name);
}

class ContainerdFiles final : public ImageFiles {
 public:
  ContainerdFiles(const StoreImage& image, const std::string& root)
      : content_(ContentStoreDir(root)),
        name_(kContainerdScheme + image.name + " (namespace " + image.ns + " of " + root + ")"),
        index_json_(IndexJson(image)) {
    if (!IsValidDigest(image.digest)) {
      ThrowBadImage(name_ + ": the image's target digest \"" + image.digest +
                    "\" is not a sha256 or sha512 digest");
    }
    if (!IsManifestMediaType(image.media_type)) {
      ThrowBadImage(name_ + ": the image's target is \"" + image.media_type +
                    "\", not an OCI or Docker v2 manifest or index");
    }
  }

  SourcePtr Open(const std::string& path) const override {
    if (path == "oci-layout")
      return std::make_shared<MemorySource>(kOciLayoutJson, name_ + ":" + path);
    if (path == "index.json") {
      return std::make_shared<MemorySource>(index_json_, name_ + ":" + path);
    }
    std::optional<std::string> digest = DigestFromBlobPath(path);
    if (!digest) {
      throw Error(ErrorKind::kNotFound, ENOENT,
                  name_ + ": " + path + ": no such file in a containerd image");
    }
    std::string file = LocalFile(path);
    try {
      return FileSource::Open(file);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) {
        throw Error(ErrorKind::kNotFound, ENOENT,
                    name_ + ": blob " + *digest + " is not in the content store " + content_);
      }
      if (e.errno_value() == EACCES) {
        throw Error(ErrorKind::kIo, EACCES,
                    std::string(e.what()) +
                        ": reading containerd's blobs needs root, or membership of the group "
                        "that owns them");
      }
      throw;
    }
  }

  bool Exists(const std::string& path) const override {
    if (path == "oci-layout" || path == "index.json") return true;
    if (!DigestFromBlobPath(path)) return false;
    try {
      Open(path);
      return true;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) return false;
      throw;
    }
  }

  std::string LocalFile(const std::string& path) const override {
    if (!DigestFromBlobPath(path)) return "";
    return content_ + "/" + path;
  }

  const std::string& name() const override { return name_; }
  std::string Kind() const override { return "containerd"; }

 private:
  std::string content_;
  std::string name_;
  std::string index_json_;
};

}  // namespace

bool IsContainerdReference(const std::string& argument) {
  return argument.starts_with(kContainerdScheme);
}

std::unique_ptr<ImageFiles> OpenContainerdFiles(const std::string& reference,
                                                const ContainerdAccess& access) {
  std::string name = reference.substr(std::string_view(kContainerdScheme).size());
  if (name.empty()) {
    throw Error(ErrorKind::kUsage, EINVAL,
                reference +
                    ": give an image name after containerd:// (imgmount images containerd:// "
                    "lists them)");
  }
  std::string root = ContainerdRoot(access);
  StoreImage image = ResolveStoreImage(root, ContainerdNamespace(access, root), name);
  return std::make_unique<ContainerdFiles>(image, root);
}

}  // namespace imgmount
