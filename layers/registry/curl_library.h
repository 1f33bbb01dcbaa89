// libcurl, loaded when a registry is first used rather than linked: Debian's libcurl brings 27
// more shared libraries (LDAP, Kerberos, SSH, RTMP, ...) that every start of imgmount would load,
// which doubled the start of a cold `imgmount --version` (25 -> 45-59 ms) and would add to every
// mount of a local image. Only the functions the registry client calls are looked up.
#pragma once

#include <curl/curl.h>

namespace imgmount {

/// The libcurl functions the registry client calls, resolved from libcurl.so.4.
struct CurlLibrary {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_reset) easy_reset = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  decltype(&curl_url) url = nullptr;
  decltype(&curl_url_set) url_set = nullptr;
  decltype(&curl_url_get) url_get = nullptr;
  decltype(&curl_url_cleanup) url_cleanup = nullptr;
  decltype(&curl_free) free = nullptr;
  decltype(&curl_getdate) getdate = nullptr;
};

/// libcurl, loaded and globally initialised on first call (thread-safe); throws kIo naming the
/// library when it cannot be loaded.
const CurlLibrary& Curl();

}  // namespace imgmount
