#include "expr/ads.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"
#include "expr/vocabulary.h"

namespace skyrun::expr {
namespace {

// Published from the Node itself; node.attributes cannot override them.
constexpr const char* kHardFacts[] = {"Name",      "Backend",     "State",         "Cpus",
                                      "CpusMilli", "MemoryMiB",   "Gpus",          "GpuModel",
                                      "GpuModels", "GpuMemoryMB", "RunningTenants"};

bool IsHardFact(std::string_view name) {
  return std::any_of(std::begin(kHardFacts), std::end(kHardFacts),
                     [&](const char* f) { return EqualsIgnoreCase(f, name); });
}

// An attribute string as the value it most plausibly means.
Value AttributeValue(std::string_view key, const std::string& text) {
  const AttributeInfo* info = FindNodeAttribute(key);
  std::string trimmed = Trim(text);
  if (info && info->type == ValueType::kString) return Value::String(text);
  if (EqualsIgnoreCase(trimmed, "true")) return Value::Bool(true);
  if (EqualsIgnoreCase(trimmed, "false")) return Value::Bool(false);
  if (info && info->type == ValueType::kReal) {
    double d = 0;
    auto [end, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), d);  // no locale
    if (ec == std::errc() && end == trimmed.data() + trimmed.size()) return Value::Real(d);
    return Value::String(text);
  }
  if (auto i = ParseInt64(trimmed)) return Value::Int(*i);
  return Value::String(text);
}

}  // namespace

std::string GpuClassOf(std::string_view gpu_model) {
  std::string model = ToLower(gpu_model);
  // The part name before any "-80GB"-style suffix or vendor prefix.
  size_t dash = model.find_first_of("- ");
  std::string part = model.substr(0, dash);
  if (part == "nvidia" && dash != std::string::npos) {
    std::string rest = model.substr(dash + 1);
    part = rest.substr(0, rest.find_first_of("- "));
  }
  static const char* const kInference[] = {"t4",  "l4", "a2",   "a10",  "a10g",
                                           "a16", "p4", "inf1", "inf2", "inferentia"};
  for (const char* k : kInference) {
    if (part == k) return "inference";
  }
  return "training";
}

Ad NodeAd(const Node& node, Schema& schema, const std::vector<std::string>* running_tenants) {
  Ad ad(&schema);
  ad.SetString("Name", node.name);
  ad.SetString("Backend", node.backend);
  ad.SetString("State", NodeStateName(node.state));
  ad.SetInt("Cpus", node.cpus_milli.raw() / kMilliPerUnit);
  ad.SetInt("CpusMilli", node.cpus_milli.raw());
  ad.SetInt("MemoryMiB", node.memory_mib.raw());
  ad.SetInt("Gpus", static_cast<int64_t>(node.gpus.size()));
  if (!node.gpus.empty()) {
    ad.SetString("GpuModel", node.gpus[0].model);
    ad.SetInt("GpuMemoryMB", node.gpus[0].memory_mb.raw());
    ad.SetString("GpuClass", GpuClassOf(node.gpus[0].model));
  }
  std::vector<std::string> models;
  for (const GpuDevice& g : node.gpus) models.push_back(g.model);
  ad.SetStringList("GpuModels", models);
  bool nvlink = false;
  for (const auto& row : node.links) {
    nvlink |= std::find(row.begin(), row.end(), GpuLink::kNvLink) != row.end();
  }
  ad.SetBool("NVLink", nvlink);
  ad.SetString("Provider", node.backend.substr(0, node.backend.find('/')));
  double price = node.price_per_gpu_hour * static_cast<double>(node.gpus.size()) +
                 node.price_per_cpu_hour * static_cast<double>(node.cpus_milli.raw()) / kMilliPerUnit;
  ad.SetReal("HourlyPrice", price);
  ad.SetBool("Spot", false);
  ad.SetStringList("Labels", {});
  if (running_tenants) ad.SetStringList("RunningTenants", *running_tenants);

  for (const auto& [key, text] : node.attributes) {
    if (key.empty() || IsHardFact(key)) continue;
    if (EqualsIgnoreCase(key, "Labels")) {
      std::vector<std::string> labels;
      for (const std::string& part : Split(text, ',')) {
        std::string t = Trim(part);
        if (!t.empty()) labels.push_back(t);
      }
      ad.SetStringList("Labels", labels);
      continue;
    }
    ad.Set(key, AttributeValue(key, text));
  }
  return ad;
}

Ad JobAd(const JobSpec& spec, std::string_view tenant, std::string_view queue, Schema& schema,
         const Role* role) {
  const ResourceRequest& res = role ? role->resources : spec.resources;
  Ad ad(&schema);
  ad.SetString("Name", spec.name);
  if (!tenant.empty()) ad.SetString("Tenant", tenant);
  ad.SetString("Queue", queue.empty() ? std::string_view(spec.queue) : queue);
  ad.SetString("JobClass", spec.mode == JobMode::kService ? "inference" : "training");
  ad.SetString("Mode", JobModeName(spec.mode));
  ad.SetInt("Priority", spec.priority);
  int64_t gpus = 0;
  if (res.gpu_milli.IsZero() && !res.accelerators.empty()) {
    gpus = res.accelerators.begin()->second;
    for (const auto& [model, count] : res.accelerators) gpus = std::min<int64_t>(gpus, count);
  }
  ad.SetInt("Gpus", gpus);
  ad.SetInt("GpuMilli", res.gpu_milli.IsPositive() ? res.gpu_milli.raw() : gpus * kMilliPerUnit);
  std::vector<std::string> models;
  for (const auto& [model, count] : res.accelerators) models.push_back(model);
  ad.SetStringList("Accelerators", models);
  ad.SetInt("Cpus", (res.cpus_milli.raw() + kMilliPerUnit - 1) / kMilliPerUnit);
  ad.SetInt("CpusMilli", res.cpus_milli.raw());
  ad.SetInt("MemoryMiB", res.memory_mib.raw());
  ad.SetInt("NumNodes", spec.num_nodes);
  ad.SetInt("Tasks", role ? role->count : spec.TaskCount());
  ad.SetBool("UseSpot", res.use_spot);
  if (res.max_hourly_cost) ad.SetReal("MaxHourlyCost", *res.max_hourly_cost);
  ad.SetString("Objective", spec.objective);
  const std::string& image = role && !role->image.empty() ? role->image : spec.image;
  if (!image.empty()) ad.SetString("Image", image);
  return ad;
}

Result<Condition> NodePolicy(const Node& node, Schema& node_schema, Schema& job_schema) {
  std::string text;
  for (const auto& [key, value] : node.attributes) {
    if (EqualsIgnoreCase(key, "Policy")) text = value;
  }
  auto c = Condition::Create(text, node_schema, job_schema);
  if (!c.ok()) return c.status().WithContext("policy of node " + node.name);
  return c;
}

}  // namespace skyrun::expr
