#include "layers/registry/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "layers/base/error.h"

namespace imgmount {
namespace {

constexpr const char* kLibraryName = "libcurl.so.4";

// Looks `name` up in `handle` into `function`; false if it is missing.
template <class Function>
bool Resolve(void* handle, const char* name, Function& function) {
  function = reinterpret_cast<Function>(::dlsym(handle, name));
  return function != nullptr;
}

// Loads the library; the error message on failure, else "".
std::string Load(CurlLibrary& curl) {
  void* handle = ::dlopen(kLibraryName, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return std::string("cannot load ") + kLibraryName +
           " (Debian: apt-get install libcurl4): " + (why != nullptr ? why : "unknown error");
  }
  bool all =
      Resolve(handle, "curl_global_init", curl.global_init) &&
      Resolve(handle, "curl_easy_init", curl.easy_init) &&
      Resolve(handle, "curl_easy_reset", curl.easy_reset) &&
      Resolve(handle, "curl_easy_cleanup", curl.easy_cleanup) &&
      Resolve(handle, "curl_easy_setopt", curl.easy_setopt) &&
      Resolve(handle, "curl_easy_perform", curl.easy_perform) &&
      Resolve(handle, "curl_easy_getinfo", curl.easy_getinfo) &&
      Resolve(handle, "curl_easy_strerror", curl.easy_strerror) &&
      Resolve(handle, "curl_slist_append", curl.slist_append) &&
      Resolve(handle, "curl_slist_free_all", curl.slist_free_all) &&
      Resolve(handle, "curl_url", curl.url) && Resolve(handle, "curl_url_set", curl.url_set) &&
      Resolve(handle, "curl_url_get", curl.url_get) &&
      Resolve(handle, "curl_url_cleanup", curl.url_cleanup) &&
      Resolve(handle, "curl_free", curl.free) && Resolve(handle, "curl_getdate", curl.getdate);
  if (!all) return std::string(kLibraryName) + " lacks a function imgmount needs (too old?)";
  if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return std::string(kLibraryName) + ": global initialisation failed";
  }
  return "";
}

}  // namespace

const CurlLibrary& Curl() {
  static CurlLibrary curl;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] { error = Load(curl); });
  if (!error.empty()) {
    throw Error(ErrorKind::kIo, ENOSYS, "registry references need libcurl: " + error);
  }
  return curl;
}

}  // namespace imgmount
