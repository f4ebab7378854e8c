#include "expr/nodes_file.h"

#include <cmath>
#include <fstream>
#include <iterator>

#include "common/strings.h"
#include "expr/ad_json.h"
#include "expr/ads.h"

namespace skyrun::expr {
namespace {

constexpr size_t kMaxFileBytes = 64u << 20;

Result<int64_t> IntField(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) return InvalidArgument(where + "." + key + ": expected an integer");
  return v.get<int64_t>();
}

Result<double> RealField(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto& v = j.at(key);
  if (!v.is_number()) return InvalidArgument(where + "." + key + ": expected a number");
  return v.get<double>();
}

}  // namespace

bool IsNodeJson(const nlohmann::json& j) {
  if (!j.is_object()) return false;
  return (j.contains("attributes") && j["attributes"].is_object()) ||
         (j.contains("gpus") && j["gpus"].is_array()) || j.contains("cpus_milli") || j.contains("memory_mib");
}

Result<Node> NodeFromJson(const nlohmann::json& j) {
  Node node;
  if (!j.contains("name") || !j["name"].is_string()) return InvalidArgument("a node needs a \"name\" string");
  node.name = j["name"].get<std::string>();
  const std::string where = "node " + node.name;
  if (j.contains("backend")) {
    if (!j["backend"].is_string()) return InvalidArgument(where + ".backend: expected a string");
    node.backend = j["backend"].get<std::string>();
  } else {
    node.backend = "local";
  }
  if (j.contains("state")) {
    std::string s = j["state"].is_string() ? j["state"].get<std::string>() : "";
    if (EqualsIgnoreCase(s, "UP"))
      node.state = NodeState::kUp;
    else if (EqualsIgnoreCase(s, "DRAIN"))
      node.state = NodeState::kDrain;
    else if (EqualsIgnoreCase(s, "DOWN"))
      node.state = NodeState::kDown;
    else
      return InvalidArgument(where + ".state: expected \"UP\", \"DRAIN\" or \"DOWN\"");
  }
  if (j.contains("cpus_milli")) {
    SKYRUN_ASSIGN_OR_RETURN(int64_t milli, IntField(j, "cpus_milli", where));
    node.cpus_milli = MilliCpu(milli);
  } else if (j.contains("cpus")) {
    const auto& c = j["cpus"];
    if (c.is_string()) {
      auto milli = ParseMilli(c.get<std::string>());
      if (!milli.ok()) return milli.status().WithContext(where + ".cpus");
      node.cpus_milli = MilliCpu(*milli);
    } else if (c.is_number()) {
      double cpus = c.get<double>();
      if (!(cpus >= 0 && cpus < 1e12)) return InvalidArgument(where + ".cpus: out of range");
      node.cpus_milli = MilliCpu(std::llround(cpus * kMilliPerUnit));
    } else {
      return InvalidArgument(where + ".cpus: expected a number such as 8 or \"8.5\"");
    }
  }
  if (j.contains("memory_mib")) {
    SKYRUN_ASSIGN_OR_RETURN(int64_t mib, IntField(j, "memory_mib", where));
    node.memory_mib = MemoryMiB(mib);
  }
  if (j.contains("gpus")) {
    if (!j["gpus"].is_array())
      return InvalidArgument(where + ".gpus: expected an array of {model, memory_mb}");
    int index = 0;
    for (const auto& g : j["gpus"]) {
      std::string gw = where + ".gpus[" + std::to_string(index) + "]";
      if (!g.is_object()) return InvalidArgument(gw + ": expected an object {model, memory_mb}");
      GpuDevice d;
      d.index = index++;
      if (g.contains("model")) {
        if (!g["model"].is_string()) return InvalidArgument(gw + ".model: expected a string");
        d.model = g["model"].get<std::string>();
      }
      if (g.contains("memory_mb")) {
        SKYRUN_ASSIGN_OR_RETURN(int64_t mib, IntField(g, "memory_mb", gw));
        d.memory_mb = MemoryMiB(mib);
      }
      node.gpus.push_back(d);
    }
  }
  if (j.contains("nvlink") && j["nvlink"].is_boolean() && j["nvlink"].get<bool>()) {
    size_t n = node.gpus.size();
    node.links.assign(n, std::vector<GpuLink>(n, GpuLink::kNvLink));
  }
  if (j.contains("attributes")) {
    if (!j["attributes"].is_object()) return InvalidArgument(where + ".attributes: expected an object");
    for (const auto& [key, value] : j["attributes"].items()) {
      node.attributes[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  if (j.contains("price_per_gpu_hour")) {
    SKYRUN_ASSIGN_OR_RETURN(node.price_per_gpu_hour, RealField(j, "price_per_gpu_hour", where));
  }
  if (j.contains("price_per_cpu_hour")) {
    SKYRUN_ASSIGN_OR_RETURN(node.price_per_cpu_hour, RealField(j, "price_per_cpu_hour", where));
  }
  return node;
}

Result<std::vector<NodeEntry>> LoadNodes(const nlohmann::json& j, Schema& schema) {
  const nlohmann::json* list = &j;
  if (j.is_object() && j.contains("nodes")) list = &j["nodes"];
  if (!list->is_array())
    return InvalidArgument("expected a JSON array of nodes or ads (or {\"nodes\": [...]})");
  std::vector<NodeEntry> out;
  size_t k = 0;
  for (const auto& item : *list) {
    std::string where = "nodes[" + std::to_string(k++) + "]";
    if (!item.is_object()) return InvalidArgument(where + ": expected an object");
    if (IsNodeJson(item)) {
      auto node = NodeFromJson(item);
      if (!node.ok()) return node.status().WithContext(where);
      out.push_back({node->name, NodeAd(*node, schema)});
      continue;
    }
    auto ad = AdFromJson(item, schema);
    if (!ad.ok()) return ad.status().WithContext(where);
    Value name = ad->Get("Name");
    out.push_back({name.IsString() ? std::string(name.AsString()) : where, std::move(ad).value()});
  }
  return out;
}

Result<std::vector<NodeEntry>> LoadNodesFile(const std::string& path, Schema& schema) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the nodes file " + path);
  std::string text;
  char buf[64 * 1024];
  while (text.size() <= kMaxFileBytes && in.read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (text.size() > kMaxFileBytes) return InvalidArgument(path + ": larger than 64 MiB");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(path + ": not valid JSON");
  auto nodes = LoadNodes(j, schema);
  if (!nodes.ok()) return nodes.status().WithContext(path);
  return nodes;
}

}  // namespace skyrun::expr
