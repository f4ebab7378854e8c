// Where a setting is in a YAML file, for config errors: "FILE:LINE:COLUMN:
// FIELD" (1-based; the position is left out when yaml-cpp has none). Header
// only, so that common/ does not link yaml-cpp; the config parsers (server,
// Slurm, simcloud) that include it do. Thread-safety: a pure function.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace skyrun {

inline std::string YamlWhere(const std::string& file, const YAML::Node& n, const std::string& field) {
  const YAML::Mark m = n.Mark();
  std::string pos = file;
  if (m.line >= 0) pos += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  return pos + ": " + field;
}

}  // namespace skyrun
