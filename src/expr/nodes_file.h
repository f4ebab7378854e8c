// The nodes file of `skyrun match --nodes`: a JSON array whose entries are
// either skyrun Node JSON (as `skyrun nodes -o json` / the API print it:
// {"name", "backend", "cpus" or "cpus_milli", "memory_mib", "gpus": [{"model",
// "memory_mb"}], "attributes": {...}, "price_per_gpu_hour", ...}) turned into
// ads by NodeAd, or plain ads ({"Cpus": 8, "GpuModel": "A100", ...}). An
// object {"nodes": [...]} is accepted too. docs/expressions.md documents it.
// Thread-safety: pure functions (reads the file system).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "expr/schema.h"
#include "model/node.h"

namespace skyrun::expr {

struct NodeEntry {
  std::string name;  // Node name, the ad's Name, or "nodes[3]"
  Ad ad;
};

// True if the object looks like Node JSON rather than an ad.
bool IsNodeJson(const nlohmann::json& j);
Result<Node> NodeFromJson(const nlohmann::json& j);

Result<std::vector<NodeEntry>> LoadNodes(const nlohmann::json& j, Schema& schema);
Result<std::vector<NodeEntry>> LoadNodesFile(const std::string& path, Schema& schema);

}  // namespace skyrun::expr
