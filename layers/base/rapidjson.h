// RapidJSON as imgmount includes it everywhere: std::string support on, and its assertions
// (which a malformed document can reach) turned into exceptions instead of aborts.
#pragma once

#include <stdexcept>

#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif
#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x) \
  ((x) ? static_cast<void>(0) : throw std::logic_error("rapidjson assertion: " #x))
#endif
#include <rapidjson/document.h>
