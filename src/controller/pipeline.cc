#include "controller/pipeline.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>

#include "common/safe_fs.h"
#include "common/strings.h"
#include "partition/bert.h"
#include "partition/profile_csv.h"

namespace skyrun {
namespace {

// A positive real from a node attribute (any case of the name), or 0.
double PositiveAttribute(const Node& node, std::string_view name) {
  for (const auto& [key, text] : node.attributes) {
    if (!EqualsIgnoreCase(key, name)) continue;
    std::string t = Trim(text);
    double v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc() && end == t.data() + t.size() && std::isfinite(v) && v > 0) return v;
  }
  return 0;
}

// The line number a CSV parse error names ("SOURCE:12: ..."), or 0.
int64_t ErrorLine(const std::string& message, const std::string& source) {
  if (message.rfind(source + ":", 0) != 0) return 0;
  auto line =
      ParseInt64(message.substr(source.size() + 1, message.find(':', source.size() + 1) - source.size() - 1));
  return line ? *line : 0;
}

}  // namespace

Result<partition::ModelProfile> PipelineModel(const PartitionSpec& spec, const std::string& base_dir) {
  if (!spec.profile.empty()) {
    // Read from the job's upload (relative) or from "/" (absolute: the server
    // allowed it at submission only under a declared root), following no link.
    const std::string what = "partition.profile '" + spec.profile + "'";
    const bool absolute = spec.profile.front() == '/';
    if (!absolute && base_dir.empty()) {
      return InvalidArgument(what + ": the job has no upload holding it; submit with `skyrun launch`");
    }
    std::string rel = absolute ? spec.profile.substr(spec.profile.find_first_not_of('/') == std::string::npos
                                                         ? spec.profile.size()
                                                         : spec.profile.find_first_not_of('/'))
                               : spec.profile;
    SKYRUN_ASSIGN_OR_RETURN(std::string text, ReadFileBeneath(absolute ? "/" : base_dir,
                                                              rel.empty() ? "." : rel, 64LL << 20, what));
    auto model = partition::ParseModelCsv(text, spec.profile);
    if (!model.ok()) {
      // Never quote the file: it may be one the submitter cannot read.
      int64_t line = ErrorLine(model.status().message(), spec.profile);
      return InvalidArgument(what + ": not a valid units profile CSV" +
                             (line > 0 ? " (the problem is on line " + std::to_string(line) + ")" : "") +
                             "; check it with `skyrun partition --profile FILE` on your machine");
    }
    return model;
  }
  auto config = partition::BuiltinBertConfig(spec.model);
  if (!config.ok()) return config.status().WithContext("partition.model");
  if (spec.layers > 0) config->layers = spec.layers;
  return partition::BertProfile(*config);
}

Status CheckPipeline(const JobSpec& spec) {
  if (spec.mode != JobMode::kPipeline) return Status::Ok();
  SKYRUN_ASSIGN_OR_RETURN(partition::ModelProfile model, PipelineModel(spec.partition, spec.base_dir));
  if (spec.partition.algorithm != "auto") {
    auto algos = partition::ResolveAlgorithms({spec.partition.algorithm});
    if (!algos.ok()) return algos.status().WithContext("partition.algorithm");
  }
  if (static_cast<size_t>(spec.num_nodes) > model.units.size()) {
    return InvalidArgument("partition: the model '" + model.name + "' has " +
                           std::to_string(model.units.size()) + " units, fewer than the " +
                           std::to_string(spec.num_nodes) + " tasks (num_nodes) that each need at least one");
  }
  return Status::Ok();
}

partition::DeviceProfile PipelineDevice(const TaskPlacement& task, const Node& node, double slowness) {
  partition::DeviceProfile d;
  d.name = "rank-" + std::to_string(task.rank) + "@" + node.name;
  d.slowness_milli = std::max<int64_t>(1000, std::llround(slowness * 1000));
  MemoryMiB gpu_memory;
  for (int idx : task.gpu_indices) {
    for (const GpuDevice& g : node.gpus)
      if (g.index == idx) gpu_memory += g.memory_mb;
  }
  // A share of a GPU gets its share of the memory.
  const int64_t share = task.gpu_milli.raw();
  if (share > 0 && share < kMilliPerUnit && task.gpu_indices.size() == 1)
    gpu_memory = gpu_memory * share / kMilliPerUnit;
  d.memory_mib = (gpu_memory.IsPositive()        ? gpu_memory
                  : task.memory_mib.IsPositive() ? task.memory_mib
                                                 : node.memory_mib)
                     .raw();
  return d;
}

Result<std::vector<std::map<std::string, std::string>>> PipelineEnvironment(
    const JobSpec& spec, const Placement& placement, const std::vector<const Node*>& nodes) {
  SKYRUN_ASSIGN_OR_RETURN(partition::ModelProfile model, PipelineModel(spec.partition, spec.base_dir));
  // Speeds: Slowness as given; BenchSeconds relative to the fastest placed node.
  double fastest_bench = 0;
  for (const Node* n : nodes) {
    double b = PositiveAttribute(*n, "BenchSeconds");
    if (b > 0 && (fastest_bench == 0 || b < fastest_bench)) fastest_bench = b;
  }
  partition::DeviceSet devices;
  for (size_t k = 0; k < placement.tasks.size(); ++k) {
    const Node& node = *nodes[k];
    double slowness = PositiveAttribute(node, "Slowness");
    if (slowness == 0) {
      double bench = PositiveAttribute(node, "BenchSeconds");
      slowness = bench > 0 ? bench / fastest_bench : 1.0;
    }
    devices.devices.push_back(PipelineDevice(placement.tasks[k], node, std::max(1.0, slowness)));
  }
  if (fastest_bench > 0) {
    devices.ref_flops_per_second = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(partition::kDeviceBenchFlops) / fastest_bench));
  }
  partition::RangeOptions options;
  options.algorithm = spec.partition.algorithm;
  SKYRUN_ASSIGN_OR_RETURN(auto ranges, partition::PipelineRanges(model, devices, options));
  int stages = 0;
  for (const auto& r : ranges) stages += r.empty() ? 0 : 1;
  std::vector<std::map<std::string, std::string>> out(ranges.size());
  for (size_t k = 0; k < ranges.size(); ++k) {
    auto& env = out[k];
    env["SKYRUN_NUM_UNITS"] = std::to_string(model.units.size());
    env["SKYRUN_NUM_STAGES"] = std::to_string(stages);
    env["SKYRUN_PARTITION_MODEL"] = model.name;
    if (ranges[k].empty()) continue;  // cannot happen with allow_idle = false
    env["SKYRUN_LAYER_START"] = std::to_string(ranges[k].first);
    env["SKYRUN_LAYER_END"] = std::to_string(ranges[k].last);
    env["SKYRUN_STAGE"] = std::to_string(ranges[k].stage);
    env["SKYRUN_LAYER_NAMES"] = model.units[ranges[k].first].name + ".." + model.units[ranges[k].last].name;
  }
  return out;
}

}  // namespace skyrun
