// `imgmount diff --config`: which fields of two image configs differ, with both values.
#pragma once

#include <string>
#include <vector>

#include "layers/image/image.h"
#include "tools/json_output.h"

namespace imgmount {

/// One config field whose value differs between the two images.
struct ConfigChange {
  /// The field's name as the config spells it ("Env", "Cmd", ..., "Platform").
  std::string field;
  /// The value in image A and in image B, each as one JSON value (an absent field is empty:
  /// [], {} or "").
  std::string old_json;
  std::string new_json;
};

/// The fields of `a` and `b` that differ, in a fixed order.
std::vector<ConfigChange> DiffConfigs(const ImageConfig& a, const ImageConfig& b);

/// "Config Env differs: [...] -> [...]" (no newline).
std::string ConfigChangeLine(const ConfigChange& change);

/// Writes `"config": [{"field": ..., "old": ..., "new": ...}, ...]`.
void WriteConfigChanges(JsonWriter& w, const std::vector<ConfigChange>& changes);

}  // namespace imgmount
