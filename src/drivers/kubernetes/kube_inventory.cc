#include "drivers/kubernetes/kube_inventory.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"
#include "drivers/kubernetes/kube_quantity.h"

namespace skyrun {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& Obj(const Json& obj, const char* key) {
  static const Json kEmpty = Json::object();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it != obj.end() && (it->is_object() || it->is_array()) ? *it : kEmpty;
}

bool StartsWithDigitsThenGB(const std::string& token) {
  if (token.size() < 3 || !EqualsIgnoreCase(token.substr(token.size() - 2), "GB")) return false;
  return std::all_of(token.begin(), token.end() - 2,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string GpuModelFromProduct(const std::string& product) {
  std::string p = Trim(product);
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const char* prefix : {"NVIDIA-", "Tesla-", "GeForce-", "Quadro-"}) {
      std::string pre(prefix);
      if (p.size() > pre.size() && EqualsIgnoreCase(p.substr(0, pre.size()), pre)) {
        p = p.substr(pre.size());
        stripped = true;
      }
    }
  }
  std::vector<std::string> tokens = Split(p, '-');
  if (tokens.empty() || tokens.front().empty()) return p;
  std::string family = tokens.front();
  if (EqualsIgnoreCase(family, "RTX") && tokens.size() > 1) {
    // "RTX-A6000" -> "A6000"; "RTX-6000" -> "RTX6000"; "RTX-4090" -> "RTX4090".
    family = (tokens[1][0] == 'A' || tokens[1][0] == 'a') ? tokens[1] : "RTX" + tokens[1];
  }
  std::string memory;
  for (size_t i = 1; i < tokens.size(); ++i)
    if (StartsWithDigitsThenGB(tokens[i])) memory = tokens[i];
  // The catalog names the larger-memory variants of these two apart.
  if (family == "A100" && EqualsIgnoreCase(memory, "80GB")) return "A100-80GB";
  if (family == "V100" && EqualsIgnoreCase(memory, "32GB")) return "V100-32GB";
  return family;
}

Result<std::vector<Node>> ParseKubeNodeList(const nlohmann::json& node_list,
                                            const KubernetesClusterConfig& config) {
  if (!node_list.is_object() || (Str(node_list, "kind") != "List" && Str(node_list, "kind") != "NodeList"))
    return InvalidArgument("expected a NodeList from 'kubectl get nodes -o json'");
  const Json& items = Obj(node_list, "items");
  std::vector<Node> out;
  if (!items.is_array()) return out;
  const std::string backend = config.BackendName();
  for (const Json& item : items) {
    const Json& meta = Obj(item, "metadata");
    const Json& labels = Obj(meta, "labels");
    const Json& status = Obj(item, "status");
    const Json& alloc = Obj(status, "allocatable");
    const std::string k8s_name = Str(meta, "name");
    if (k8s_name.empty()) return InvalidArgument("a node in the NodeList has no metadata.name");
    std::string hostname = Str(labels, "kubernetes.io/hostname");
    if (hostname.empty()) hostname = k8s_name;
    auto where = [&](const std::string& what) { return "node " + k8s_name + ": " + what; };

    Node n;
    n.name = backend + "/" + hostname;
    n.backend = backend;
    if (!Str(alloc, "cpu").empty()) {
      auto cpu = ParseKubeQuantityMilli(Str(alloc, "cpu"));
      if (!cpu.ok()) return cpu.status().WithContext(where("allocatable cpu"));
      n.cpus_milli = MilliCpu(*cpu);
    }
    if (!Str(alloc, "memory").empty()) {
      auto mem = ParseKubeQuantityMiB(Str(alloc, "memory"));
      if (!mem.ok()) return mem.status().WithContext(where("allocatable memory"));
      n.memory_mib = MemoryMiB(*mem);
    }
    int64_t gpu_count = 0;
    if (!Str(alloc, config.gpu_resource.c_str()).empty()) {
      auto gpus = ParseKubeQuantityCount(Str(alloc, config.gpu_resource.c_str()));
      if (!gpus.ok()) return gpus.status().WithContext(where("allocatable " + config.gpu_resource));
      gpu_count = std::min<int64_t>(*gpus, 1024);
    }
    const std::string product = Str(labels, config.gpu_product_label.c_str());
    const std::string model = product.empty() ? "" : GpuModelFromProduct(product);
    int64_t gpu_memory = 0;
    if (auto m = ParseInt64(Str(labels, config.gpu_memory_label.c_str()))) gpu_memory = *m;
    for (int64_t i = 0; i < gpu_count; ++i)
      n.gpus.push_back({static_cast<int>(i), model, MemoryMiB(gpu_memory)});

    for (const auto& [key, value] : labels.items())
      if (value.is_string()) n.attributes[key] = value.get<std::string>();
    auto copy = [&](const char* attr, std::initializer_list<const char*> keys) {
      for (const char* k : keys) {
        std::string v = Str(labels, k);
        if (!v.empty()) {
          n.attributes[attr] = v;
          return;
        }
      }
    };
    copy("Region", {"topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"});
    copy("Zone", {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"});
    copy("InstanceType", {"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"});
    copy("Arch", {"kubernetes.io/arch"});
    n.attributes["Provider"] = "kubernetes";
    n.attributes["Cluster"] = config.name;
    if (!product.empty()) n.attributes["GpuProduct"] = product;
    if (!model.empty()) n.attributes["GpuModel"] = model;

    const Json& addresses = Obj(status, "addresses");
    if (addresses.is_array()) {
      for (const Json& a : addresses)
        if (Str(a, "type") == "InternalIP" && !Str(a, "address").empty()) {
          n.address = Str(a, "address");
          break;
        }
    }

    bool ready = false;
    const Json& conditions = Obj(status, "conditions");
    if (conditions.is_array()) {
      for (const Json& c : conditions)
        if (Str(c, "type") == "Ready") ready = Str(c, "status") == "True";
    }
    const Json& spec = Obj(item, "spec");
    bool cordoned = spec.is_object() && spec.contains("unschedulable") &&
                    spec.at("unschedulable").is_boolean() && spec.at("unschedulable").get<bool>();
    std::vector<std::string> blocking;
    const Json& taints = Obj(spec, "taints");
    if (taints.is_array()) {
      for (const Json& t : taints) {
        std::string effect = Str(t, "effect");
        std::string key = Str(t, "key");
        if (effect != "NoSchedule" && effect != "NoExecute") continue;
        if (std::find(config.tolerated_taints.begin(), config.tolerated_taints.end(), key) !=
            config.tolerated_taints.end())
          continue;
        blocking.push_back(key + ":" + effect);
      }
    }
    if (!ready) {
      n.state = NodeState::kDown;
      n.limits_note = "not Ready";
    } else if (cordoned) {
      n.state = NodeState::kDrain;
      n.limits_note = "cordoned (unschedulable)";
    } else if (!blocking.empty()) {
      n.state = NodeState::kDrain;
      n.limits_note = "tainted " + Join(blocking, ", ") + " (not in the cluster's tolerated_taints)";
    }
    n.limits_enforced = true;  // the kubelet enforces each pod's limits
    n.price_per_gpu_hour = config.price_per_gpu_hour;
    n.price_per_cpu_hour = config.price_per_cpu_hour;
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const Node& a, const Node& b) { return a.name < b.name; });
  return out;
}

}  // namespace skyrun
