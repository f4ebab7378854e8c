#include "partition/partition.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"

namespace skyrun::partition {

bool PartitionReport::AnyFeasible() const {
  return std::any_of(algorithms.begin(), algorithms.end(),
                     [](const AlgorithmReport& a) { return a.result.feasible; });
}

Result<std::vector<std::string>> ResolveAlgorithms(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const std::string& raw : names) {
    for (const std::string& part : Split(raw, ',')) {
      std::string name = ToLower(Trim(part));
      if (name.empty()) continue;
      if (name == "all") {
        for (const auto& n : AllocatorNames()) add(n);
        continue;
      }
      SKYRUN_ASSIGN_OR_RETURN(auto allocator, MakeAllocator(name));
      add(std::string(allocator->name()));
    }
  }
  if (out.empty()) return InvalidArgument("no algorithm given; use --algo all or a list such as even,exact");
  return out;
}

Result<PartitionReport> RunPartition(const ModelProfile& model, const DeviceSet& devices,
                                     const PartitionOptions& options) {
  if (options.micro_batches < 1) return InvalidArgument("--micro-batches must be at least 1");
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> names, ResolveAlgorithms(options.algorithms));
  SKYRUN_ASSIGN_OR_RETURN(Instance instance, Instance::Build(model, devices));
  PartitionReport report{std::move(instance), {}, options.micro_batches, {}};
  report.lower_bound = ComputeLowerBound(report.instance);
  for (const std::string& name : names) {
    SKYRUN_ASSIGN_OR_RETURN(auto allocator, MakeAllocator(name));
    AlgorithmReport a;
    a.algo = name;
    a.result = allocator->Allocate(report.instance, options.alloc);
    if (a.result.has_assignment) {
      a.evaluation = Evaluate(report.instance, a.result.assignment, options.micro_batches);
      if (report.lower_bound.value > 0) {
        a.gap = static_cast<double>(a.evaluation.bottleneck - report.lower_bound.value) /
                static_cast<double>(report.lower_bound.value);
      }
    }
    report.algorithms.push_back(std::move(a));
  }
  return report;
}

nlohmann::json LoadJson(Load value) {
  if (value % kSlownessScale == 0) {
    Load whole = value / kSlownessScale;
    if (whole >= INT64_MIN && whole <= INT64_MAX) return static_cast<int64_t>(whole);
  }
  return LoadToDouble(value);
}

namespace {

int64_t MiBRoundedUp(Load bytes) {
  return static_cast<int64_t>(CeilDiv(bytes, static_cast<Load>(1) << 20));
}

nlohmann::json AlgorithmJson(const PartitionReport& report, const AlgorithmReport& a) {
  const Instance& in = report.instance;
  nlohmann::json j;
  j["algo"] = a.algo;
  j["feasible"] = a.result.feasible;
  if (!a.result.reason.empty()) j["reason"] = a.result.reason;
  if (!a.result.blocking_device.empty()) j["blocking_device"] = a.result.blocking_device;
  j["lower_bound"] = report.lower_bound.feasible ? LoadJson(report.lower_bound.value) : nlohmann::json();
  if (!a.result.has_assignment) {
    j["assignment"] = nullptr;
    return j;
  }
  const Assignment& as = a.result.assignment;
  const Evaluation& e = a.evaluation;
  std::vector<int> position = as.PositionOfDevice();
  nlohmann::json assignment = nlohmann::json::array();
  nlohmann::json per_device = nlohmann::json::array();
  for (int dev = 0; dev < in.devices(); ++dev) {
    int p = position[dev];
    nlohmann::json d;
    d["name"] = in.device_name(dev);
    d["stage_position"] = p;
    if (as.empty(p)) {
      assignment.push_back(nullptr);
      d["first"] = nullptr;
      d["last"] = nullptr;
      d["units"] = 0;
    } else {
      assignment.push_back({as.first(p), as.end(p) - 1});
      d["first"] = as.first(p);
      d["last"] = as.end(p) - 1;
      d["units"] = as.end(p) - as.first(p);
    }
    d["load"] = LoadJson(e.device_load[dev]);
    d["memory_mib"] = MiBRoundedUp(e.device_memory[dev]);
    d["memory_cap_mib"] = in.memory_mib(dev);
    per_device.push_back(d);
  }
  nlohmann::json order = nlohmann::json::array();
  for (int dev : as.order) order.push_back(in.device_name(dev));
  j["assignment"] = assignment;
  j["order"] = order;
  j["max_load"] = LoadJson(e.max_load);
  j["sum_load"] = LoadJson(e.sum_load);
  j["link_max"] = LoadJson(e.max_link);
  j["link_sum"] = LoadJson(e.sum_link);
  j["bottleneck"] = LoadJson(e.bottleneck);
  j["gap"] = report.lower_bound.feasible ? nlohmann::json(a.gap) : nlohmann::json();
  j["iteration_seconds"] = {{"pipelined", e.pipelined_seconds},
                            {"sequential", e.sequential_seconds},
                            {"micro_batch", e.microbatch_seconds}};
  j["devices"] = per_device;
  nlohmann::json diag;
  diag["iterations"] = a.result.iterations;
  if (a.algo == "heuristic") {
    diag["take_moves"] = a.result.take_moves;
    diag["give_back_moves"] = a.result.give_back_moves;
    diag["balance_moves"] = a.result.balance_moves;
  }
  if (a.algo == "ordered") diag["orders_tried"] = a.result.evaluations;
  j["diagnostics"] = diag;
  return j;
}

std::string Sci(Load value) {
  return fmt::format("{:.4e}", LoadToDouble(value));
}

std::string Seconds(double s) {
  if (s >= 100) return fmt::format("{:.1f} s", s);
  if (s >= 1) return fmt::format("{:.3f} s", s);
  if (s >= 1e-3) return fmt::format("{:.2f} ms", s * 1e3);
  if (s >= 1e-6) return fmt::format("{:.2f} us", s * 1e6);
  return fmt::format("{:.2f} ns", s * 1e9);
}

std::string Slowness(int64_t milli) {
  std::string s = fmt::format("{}.{:03d}", milli / kSlownessScale, milli % kSlownessScale);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

nlohmann::json ReportToJson(const PartitionReport& report) {
  const Instance& in = report.instance;
  nlohmann::json j;
  j["model"] = in.model_name();
  j["units"] = in.units();
  j["micro_batches"] = report.micro_batches;
  j["ref_flops_per_second"] = in.ref_flops_per_second();
  j["links"] = in.has_links();
  nlohmann::json devices = nlohmann::json::array();
  for (int dev = 0; dev < in.devices(); ++dev) {
    devices.push_back({{"name", in.device_name(dev)},
                       {"slowness", static_cast<double>(in.slowness(dev)) / kSlownessScale},
                       {"memory_mib", in.memory_mib(dev)}});
  }
  j["devices"] = devices;
  if (report.lower_bound.feasible) {
    j["lower_bound"] = LoadJson(report.lower_bound.value);
    j["lower_bound_seconds"] = LoadToSeconds(report.lower_bound.value, in.ref_flops_per_second());
  } else {
    j["lower_bound"] = nullptr;
    j["lower_bound_seconds"] = nullptr;
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& a : report.algorithms) results.push_back(AlgorithmJson(report, a));
  j["results"] = results;
  return j;
}

std::string ReportToText(const PartitionReport& report, bool summary_only) {
  const Instance& in = report.instance;
  std::string out;
  out += fmt::format(
      "model {}: {} units on {} devices{}; loads are slowness x FLOPs; times at {:.4g} TFLOP/s for "
      "slowness 1\n",
      in.model_name(), in.units(), in.devices(), in.has_links() ? " with links" : "",
      static_cast<double>(in.ref_flops_per_second()) / 1e12);
  if (report.lower_bound.feasible) {
    out += fmt::format("lower bound (water-filling): {} = {} per iteration\n", Sci(report.lower_bound.value),
                       Seconds(LoadToSeconds(report.lower_bound.value, in.ref_flops_per_second())));
  } else {
    out += "lower bound: none (the model does not fit in the devices' memory even split into fractions)\n";
  }
  out += fmt::format("\n{:<11} {:<10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>13} {:>8}\n", "algorithm",
                     "status", "max_load", "sum_load", "links_max", "pipelined", "sequential",
                     fmt::format("{} micro-b.", report.micro_batches), "gap");
  for (const auto& a : report.algorithms) {
    std::string status = a.result.feasible ? "ok" : "INFEASIBLE";
    if (!a.result.has_assignment) {
      out += fmt::format("{:<11} {:<10} {}\n", a.algo, status, a.result.reason);
      continue;
    }
    const Evaluation& e = a.evaluation;
    out += fmt::format("{:<11} {:<10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>13} {:>8}\n", a.algo, status,
                       Sci(e.max_load), Sci(e.sum_load), Sci(e.max_link), Seconds(e.pipelined_seconds),
                       Seconds(e.sequential_seconds), Seconds(e.microbatch_seconds),
                       report.lower_bound.feasible ? fmt::format("{:+.1f}%", 100.0 * a.gap) : "-");
    if (!a.result.feasible) out += fmt::format("{:<11} {}\n", "", a.result.reason);
  }
  if (summary_only) return out;
  for (const auto& a : report.algorithms) {
    if (!a.result.has_assignment) continue;
    const Assignment& as = a.result.assignment;
    const Evaluation& e = a.evaluation;
    out += fmt::format("\n{}: pipeline order {}\n", a.algo, [&] {
      std::vector<std::string> names;
      for (int dev : as.order) names.push_back(in.device_name(dev));
      return Join(names, " -> ");
    }());
    out += fmt::format("  {:<16} {:>8} {:>7} {:>10} {:>6} {:>11} {:>11}  {}\n", "device", "slowness", "stage",
                       "mem_MiB", "units", "load", "mem_used", "first .. last");
    std::vector<int> position = as.PositionOfDevice();
    int stage = 0;
    std::vector<int> stage_of(in.devices(), -1);
    for (int p = 0; p < as.positions(); ++p)
      if (!as.empty(p)) stage_of[as.order[p]] = stage++;
    for (int dev = 0; dev < in.devices(); ++dev) {
      int p = position[dev];
      std::string range = as.empty(p) ? "(idle)"
                                      : fmt::format("{}..{}  {} .. {}", as.first(p), as.end(p) - 1,
                                                    in.unit_name(as.first(p)), in.unit_name(as.end(p) - 1));
      out += fmt::format("  {:<16} {:>8} {:>7} {:>10} {:>6} {:>11} {:>11}  {}\n", in.device_name(dev),
                         Slowness(in.slowness(dev)), stage_of[dev] < 0 ? "-" : std::to_string(stage_of[dev]),
                         in.memory_mib(dev), as.end(p) - as.first(p), Sci(e.device_load[dev]),
                         MiBRoundedUp(e.device_memory[dev]), range);
    }
    if (a.algo == "heuristic") {
      out += fmt::format("  {} sweeps; units moved: {} taken, {} given back, {} by pair balancing\n",
                         a.result.iterations, a.result.take_moves, a.result.give_back_moves,
                         a.result.balance_moves);
    }
    if (a.algo == "ordered") out += fmt::format("  {} orders tried\n", a.result.evaluations);
  }
  return out;
}

Result<nlohmann::json> PartitionJson(const ModelProfile& model, const DeviceSet& devices,
                                     const PartitionOptions& options) {
  SKYRUN_ASSIGN_OR_RETURN(PartitionReport report, RunPartition(model, devices, options));
  return ReportToJson(report);
}

Result<std::vector<UnitRange>> PipelineRanges(const ModelProfile& model, const DeviceSet& devices,
                                              const RangeOptions& options) {
  SKYRUN_ASSIGN_OR_RETURN(Instance instance, Instance::Build(model, devices));
  std::string algo = options.algorithm;
  if (algo == "auto") algo = instance.has_links() ? "exact-comm" : "exact";
  SKYRUN_ASSIGN_OR_RETURN(auto allocator, MakeAllocator(algo));
  AllocOptions alloc;
  alloc.allow_idle = options.allow_idle;
  AllocResult r = allocator->Allocate(instance, alloc);
  if (!r.feasible) {
    return ResourceExhausted("the model '" + instance.model_name() + "' does not fit the devices (" + algo +
                             "): " + r.reason);
  }
  std::vector<UnitRange> ranges(instance.devices());
  const Assignment& as = r.assignment;
  int stage = 0;
  for (int p = 0; p < as.positions(); ++p) {
    int dev = as.order[p];
    ranges[dev].device = instance.device_name(dev);
    if (as.empty(p)) continue;
    ranges[dev].first = as.first(p);
    ranges[dev].last = as.end(p) - 1;
    ranges[dev].stage = stage++;
  }
  return ranges;
}

}  // namespace skyrun::partition
