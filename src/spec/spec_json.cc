// SpecToJson, SpecProblemToJson and SpecSummary (declared in spec_parser.h):
// how a parsed spec is shown to programs and to people.
#include <string>
#include <vector>

#include "common/quantities.h"
#include "common/strings.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

using nlohmann::json;

constexpr const char* kRedacted = "<secret>";

json OptionalNumber(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json ResourcesToJson(const ResourceRequest& r) {
  json accelerators = json::object();
  for (const auto& [model, count] : r.accelerators) accelerators[model] = count;
  json j{{"accelerators", accelerators},
         {"gpu_milli", r.gpu_milli},
         {"cpus_milli", r.cpus_milli},
         {"cpus_exact", r.cpus_exact},
         {"memory_mib", r.memory_mib},
         {"memory_exact", r.memory_exact},
         {"use_spot", r.use_spot},
         {"requirements", r.requirements},
         {"rank", r.rank},
         {"infra", r.infra},
         {"max_hourly_cost", OptionalNumber(r.max_hourly_cost)}};
  // SkyPilot's preference orders, only when given (older goldens stay as they are).
  if (!r.accelerator_order.empty()) j["accelerator_order"] = r.accelerator_order;
  if (r.infra_ordered) j["infra_ordered"] = true;
  return j;
}

json DataToJson(const std::vector<DataRef>& refs) {
  json out = json::array();
  for (const auto& d : refs) {
    json j{{"uri", d.uri}, {"size_gb", d.size_gb}, {"location", d.location}};
    if (!d.path.empty()) j["path"] = d.path;  // only when given: older goldens stay as they are
    out.push_back(j);
  }
  return out;
}

// "8+ CPU, 64 GiB+, A100:8 or H100:8 (spot)"
std::string ResourcesSummary(const ResourceRequest& r) {
  std::vector<std::string> parts;
  parts.push_back(FormatMilli(r.cpus_milli) + (r.cpus_exact ? "" : "+") + " CPU");
  if (r.memory_mib.IsPositive()) {
    const int64_t mib = r.memory_mib.raw();
    std::string memory = mib % 1024 == 0 ? std::to_string(mib / 1024) + " GiB" : std::to_string(mib) + " MiB";
    parts.push_back(memory + (r.memory_exact ? "" : "+"));
  }
  std::vector<std::string> gpus, models;
  for (const auto& [model, count] : r.accelerators) {
    gpus.push_back(model + ":" + std::to_string(count));
    models.push_back(model);
  }
  if (r.gpu_milli.IsPositive()) {
    parts.push_back(std::to_string(r.gpu_milli.raw()) + " milli-GPU of " +
                    (models.empty() ? std::string("any GPU") : "one " + Join(models, " or ")));
  } else if (!gpus.empty()) {
    parts.push_back(Join(gpus, " or "));
  }
  if (r.use_spot) parts.push_back("spot");
  return Join(parts, ", ");
}

}  // namespace

json SpecToJson(const JobSpec& spec) {
  json roles = json::array();
  for (const auto& role : spec.roles) {
    roles.push_back(json{{"name", role.name},
                         {"count", role.count},
                         {"resources", ResourcesToJson(role.resources)},
                         {"image", role.image},
                         {"run", role.run},
                         {"stateful", role.stateful}});
  }
  json recovery{{"strategy", spec.recovery.strategy},
                {"max_restarts_on_errors", spec.recovery.max_restarts_on_errors},
                {"recover_on_exit_codes", spec.recovery.recover_on_exit_codes}};
  json j{{"name", spec.name},
         {"queue", spec.queue},
         {"priority", spec.priority},
         {"mode", JobModeName(spec.mode)},
         {"num_nodes", spec.num_nodes},
         {"roles", roles},
         {"resources", ResourcesToJson(spec.resources)},
         {"image", spec.image},
         {"envs", spec.envs},
         {"workdir", spec.workdir},
         {"file_mounts", spec.file_mounts},
         {"inputs", DataToJson(spec.inputs)},
         {"outputs", DataToJson(spec.outputs)},
         {"setup", spec.setup},
         {"run", spec.run},
         {"checkpoint", json{{"dir", spec.checkpoint_dir}}},
         {"recovery", recovery},
         {"objective", spec.objective},
         {"deadline_seconds", spec.deadline_seconds ? json(*spec.deadline_seconds) : json(nullptr)},
         {"time_limit_seconds", spec.time_limit_seconds ? json(*spec.time_limit_seconds) : json(nullptr)},
         {"budget_usd", OptionalNumber(spec.budget_usd)},
         {"depends_on", spec.depends_on},
         {"base_dir", spec.base_dir}};
  // A secret's value is never shown: only that it is set.
  if (!spec.secrets.empty()) {
    json secrets = json::object();
    for (const auto& [name, value] : spec.secrets) secrets[name] = kRedacted;
    j["secrets"] = secrets;
  }
  if (!spec.labels.empty()) j["labels"] = spec.labels;
  // Only for a range, so that the goldens of plain counts stay as they are.
  if (spec.node_range.present()) {
    j["num_nodes_range"] = json{{"min", spec.node_range.min},
                                {"max", spec.node_range.max},
                                {"scaling_efficiency", spec.node_range.scaling_efficiency}};
  }
  // Only when given, so that the goldens of specs without volumes stay as they are.
  if (!spec.volumes.empty()) {
    json volumes = json::array();
    for (const VolumeMount& v : spec.volumes) {
      volumes.push_back(json{{"name", v.name}, {"path", v.path}, {"read_only", v.read_only}});
    }
    j["volumes"] = volumes;
  }
  if (!spec.partition.empty()) {
    j["partition"] = json{{"model", spec.partition.model},
                          {"layers", spec.partition.layers},
                          {"profile", spec.partition.profile},
                          {"algorithm", spec.partition.algorithm}};
  }
  return j;
}

json SpecProblemToJson(const SpecProblem& problem) {
  return json{{"file", problem.file},
              {"line", problem.line},
              {"column", problem.column},
              {"field", problem.field},
              {"message", problem.message}};
}

std::string SpecSummary(const JobSpec& spec) {
  std::vector<std::string> parts;
  std::string mode = JobModeName(spec.mode);
  if (spec.mode == JobMode::kPsWorker) {
    std::vector<std::string> roles;
    for (const auto& role : spec.roles) {
      roles.push_back(role.name + " x" + std::to_string(role.count) + " (" +
                      ResourcesSummary(role.resources) + ")");
    }
    parts.push_back(mode + ": " + Join(roles, ", "));
  } else {
    if (spec.node_range.present()) {
      parts.push_back(mode + " x" + std::to_string(spec.node_range.min) + ".." +
                      std::to_string(spec.node_range.max));
    } else {
      parts.push_back(mode + (spec.num_nodes > 1 ? " x" + std::to_string(spec.num_nodes) : ""));
    }
    parts.push_back(ResourcesSummary(spec.resources));
  }
  parts.push_back("queue " + spec.queue);
  if (spec.priority != 0) parts.push_back("priority " + std::to_string(spec.priority));
  parts.push_back("objective " + spec.objective);
  if (!spec.depends_on.empty()) parts.push_back("after " + Join(spec.depends_on, ", "));
  return Join(parts, ", ");
}

}  // namespace skyrun
