#include "layers/registry/http_origin.h"

#include <curl/curl.h>

#include <cctype>

#include "layers/registry/curl_library.h"

namespace imgmount {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<HttpOrigin> OriginOf(const std::string& url) {
  const CurlLibrary& curl = Curl();
  CURLU* handle = curl.url();
  if (handle == nullptr) return std::nullopt;
  std::optional<HttpOrigin> origin;
  if (curl.url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl.url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl.url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl.url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      origin = HttpOrigin{Lower(scheme), Lower(host), port};
    }
    curl.free(scheme);
    curl.free(host);
    curl.free(port);
  }
  curl.url_cleanup(handle);
  return origin;
}

std::optional<long> RetryAfterSeconds(const std::string& value, std::time_t now) {
  size_t start = value.find_first_not_of(" \t");
  if (start == std::string::npos) return std::nullopt;
  std::string text = value.substr(start, value.find_last_not_of(" \t\r\n") + 1 - start);
  bool digits = !text.empty() && text.size() <= 9;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) return std::stol(text);
  std::time_t when = Curl().getdate(text.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return when > now ? static_cast<long>(when - now) : 0L;
}

}  // namespace imgmount
