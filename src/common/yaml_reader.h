// Reading one mapping of a YAML config file (a backend's entry in the
// server config): typed values, lists and maps, with "FILE:LINE:COLUMN:
// PATH.KEY" in every error. Header only, like yaml_where.h, so that common/
// does not link yaml-cpp; the config parsers (Slurm, simcloud) that include
// it do. Thread-safety: a reader is used by one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/strings.h"
#include "common/yaml_where.h"

namespace skyrun {

// Reads the keys of one mapping at `path` ("simcloud[0]", "slurm[1]"), with
// the file position in every message.
class YamlMapReader {
 public:
  YamlMapReader(const YAML::Node& map, const std::string& file, std::string path)
      : map_(map), file_(file), path_(std::move(path)) {}

  Status CheckKeys(const std::vector<std::string>& known) const {
    if (!map_.IsMap()) return InvalidArgument(YamlWhere(file_, map_, path_) + ": expected a mapping");
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string msg = YamlWhere(file_, it->first, Field(key)) + ": unknown setting";
      if (auto near = NearestName(key, known)) msg += "; did you mean '" + *near + "'?";
      return InvalidArgument(msg + " (expected one of " + Join(known, ", ") + ")");
    }
    return Status::Ok();
  }

  template <typename T>
  Status Get(const char* key, T* out) const {
    YAML::Node n = map_[key];
    if (!n) return Status::Ok();
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return InvalidArgument(YamlWhere(file_, n, Field(key)) + ": wrong type");
    }
    return Status::Ok();
  }

  template <typename T>
  Status GetOptional(const char* key, std::optional<T>* out) const {
    if (!map_[key]) return Status::Ok();
    T value{};
    SKYRUN_RETURN_IF_ERROR(Get(key, &value));
    *out = value;
    return Status::Ok();
  }

  // A mapping of strings to T, each value checked by `ok` (`want` says what is expected).
  template <typename T, typename Check>
  Status GetMap(const char* key, std::map<std::string, T>* out, Check ok, const std::string& want) const {
    YAML::Node n = map_[key];
    if (!n) return Status::Ok();
    if (!n.IsMap()) return InvalidArgument(YamlWhere(file_, n, Field(key)) + ": expected a mapping, " + want);
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      T value{};
      try {
        value = it->second.as<T>();
      } catch (const YAML::Exception&) {
        return InvalidArgument(YamlWhere(file_, it->second, Field(key) + "." + name) + ": wrong type, " +
                               want);
      }
      if (name.empty() || !ok(value)) {
        return InvalidArgument(YamlWhere(file_, it->second, Field(key) + "." + name) + ": expected " + want);
      }
      (*out)[name] = value;
    }
    return Status::Ok();
  }

  Status NonNegative(const char* key, double value) const {
    return value < 0 ? Refuse(key, "must not be negative") : Status::Ok();
  }

  Status Refuse(const char* key, const std::string& why) const {
    YAML::Node n = map_[key];
    return InvalidArgument(YamlWhere(file_, n ? n : map_, Field(key)) + ": " + why);
  }
  Status RefuseEntry(const std::string& why) const {
    return InvalidArgument(YamlWhere(file_, map_, path_) + ": " + why);
  }

  // Each element of the list under `key`, as (node, its path).
  template <typename Fn>
  Status ForEach(const char* key, Fn fn) const {
    YAML::Node list = map_[key];
    if (!list) return Status::Ok();
    if (!list.IsSequence()) return InvalidArgument(YamlWhere(file_, list, Field(key)) + ": expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      SKYRUN_RETURN_IF_ERROR(fn(YamlMapReader(list[i], file_, Field(key) + "[" + std::to_string(i) + "]")));
    }
    return Status::Ok();
  }

  const YAML::Node& node() const { return map_; }
  const std::string& file() const { return file_; }
  std::string Field(const std::string& key) const { return path_ + "." + key; }

 private:
  YAML::Node map_;
  const std::string& file_;
  std::string path_;
};

}  // namespace skyrun
