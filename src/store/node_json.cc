#include "store/node_json.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace skyrun {

namespace {

using nlohmann::json;

const char* GpuLinkName(GpuLink link) {
  switch (link) {
    case GpuLink::kNvLink: return "NVLINK";
    case GpuLink::kPcieSwitch: return "PCIE_SWITCH";
    case GpuLink::kSameSocket: return "SAME_SOCKET";
    case GpuLink::kCrossSocket: return "CROSS_SOCKET";
  }
  return "CROSS_SOCKET";
}

Result<GpuLink> ParseGpuLink(const std::string& s) {
  for (GpuLink link : {GpuLink::kNvLink, GpuLink::kPcieSwitch, GpuLink::kSameSocket, GpuLink::kCrossSocket}) {
    if (s == GpuLinkName(link)) return link;
  }
  return InvalidArgument("unknown GPU link \"" + s + "\"");
}

Result<NodeState> ParseNodeState(const std::string& s) {
  for (NodeState state : {NodeState::kUp, NodeState::kDrain, NodeState::kDown}) {
    if (EqualsIgnoreCase(s, NodeStateName(state))) return state;
  }
  return InvalidArgument("unknown node state \"" + s + "\"");
}

// Copies j[key] into *out when present (wrong types throw json::exception).
template <typename T>
void Get(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(*out);
}

}  // namespace

std::string NodeToJson(const Node& node) {
  json gpus = json::array();
  for (const GpuDevice& gpu : node.gpus) {
    gpus.push_back({{"index", gpu.index}, {"model", gpu.model}, {"memory_mb", gpu.memory_mb}});
  }
  json links = json::array();
  for (const auto& row : node.links) {
    json out_row = json::array();
    for (GpuLink link : row) out_row.push_back(GpuLinkName(link));
    links.push_back(std::move(out_row));
  }
  json j = {
      {"name", node.name},
      {"backend", node.backend},
      {"state", NodeStateName(node.state)},
      {"cpus_milli", node.cpus_milli},
      {"memory_mib", node.memory_mib},
      {"gpus", std::move(gpus)},
      {"links", std::move(links)},
      {"attributes", node.attributes},
      {"price_per_gpu_hour", node.price_per_gpu_hour},
      {"price_per_cpu_hour", node.price_per_cpu_hour},
      {"limits_enforced", node.limits_enforced},
      {"limits_note", node.limits_note},
      {"address", node.address},
  };
  return j.dump();
}

Result<Node> NodeFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return InvalidArgument("node JSON is not an object");
    Node node;
    Get(j, "name", &node.name);
    Get(j, "backend", &node.backend);
    std::string state = NodeStateName(node.state);
    Get(j, "state", &state);
    SKYRUN_ASSIGN_OR_RETURN(node.state, ParseNodeState(state));
    Get(j, "cpus_milli", &node.cpus_milli);
    Get(j, "memory_mib", &node.memory_mib);
    if (auto it = j.find("gpus"); it != j.end() && it->is_array()) {
      for (const json& g : *it) {
        GpuDevice gpu;
        Get(g, "index", &gpu.index);
        Get(g, "model", &gpu.model);
        Get(g, "memory_mb", &gpu.memory_mb);
        node.gpus.push_back(std::move(gpu));
      }
    }
    if (auto it = j.find("links"); it != j.end() && it->is_array()) {
      for (const json& row : *it) {
        std::vector<GpuLink> out_row;
        for (const json& link : row) {
          SKYRUN_ASSIGN_OR_RETURN(GpuLink parsed, ParseGpuLink(link.get<std::string>()));
          out_row.push_back(parsed);
        }
        node.links.push_back(std::move(out_row));
      }
    }
    Get(j, "attributes", &node.attributes);
    Get(j, "price_per_gpu_hour", &node.price_per_gpu_hour);
    Get(j, "price_per_cpu_hour", &node.price_per_cpu_hour);
    Get(j, "limits_enforced", &node.limits_enforced);
    Get(j, "limits_note", &node.limits_note);
    Get(j, "address", &node.address);
    return node;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("node JSON: ") + e.what());
  }
}

}  // namespace skyrun
