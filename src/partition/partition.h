// The partitioner's front door: run the chosen algorithms on a model and a
// device set, and present the answers (text, JSON, per-device unit ranges).
//
// Called by the CLI (`skyrun partition`), by the API server (PartitionJson) and
// by the pipeline job mode (PipelineRanges -> SKYRUN_LAYER_START/END per task).
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "partition/allocator.h"
#include "partition/assignment.h"
#include "partition/instance.h"
#include "partition/lower_bound.h"
#include "partition/profile.h"

namespace skyrun::partition {

struct PartitionOptions {
  std::vector<std::string> algorithms = {"all"};  // names from AllocatorNames(), or "all"
  int micro_batches = 8;                          // B of the micro-batch cost model
  AllocOptions alloc;
};

struct AlgorithmReport {
  std::string algo;
  AllocResult result;
  Evaluation evaluation;  // meaningful when result.has_assignment
  double gap = 0;         // (pipelined bottleneck - lower bound) / lower bound
};

struct PartitionReport {
  Instance instance;
  LowerBound lower_bound;
  int micro_batches = 8;
  std::vector<AlgorithmReport> algorithms;

  // True when at least one algorithm found a split that fits.
  bool AnyFeasible() const;
};

// Expands "all" and checks the names (with a suggestion for a typo).
Result<std::vector<std::string>> ResolveAlgorithms(const std::vector<std::string>& names);

Result<PartitionReport> RunPartition(const ModelProfile& model, const DeviceSet& devices,
                                     const PartitionOptions& options);

nlohmann::json ReportToJson(const PartitionReport& report);
// A summary table, then (unless summary_only) each algorithm's assignment.
std::string ReportToText(const PartitionReport& report, bool summary_only);

// RunPartition + ReportToJson, for the API.
Result<nlohmann::json> PartitionJson(const ModelProfile& model, const DeviceSet& devices,
                                     const PartitionOptions& options);

// A device's units for a pipeline job: [first, last] inclusive, and its stage
// (0-based position among the non-empty stages). Empty: first = last = stage = -1.
struct UnitRange {
  std::string device;
  int first = -1;
  int last = -1;
  int stage = -1;
  bool empty() const { return stage < 0; }
};

struct RangeOptions {
  // "auto": exact-comm when the devices have links, else exact.
  std::string algorithm = "auto";
  // A pipeline job runs one task per device, so by default each gets a unit.
  bool allow_idle = false;
};

// Per device, in the devices' given order. Infeasible instances are an error
// (ResourceExhausted) that names the device that cannot fit.
Result<std::vector<UnitRange>> PipelineRanges(const ModelProfile& model, const DeviceSet& devices,
                                              const RangeOptions& options = {});

// A load as a JSON number in slowness x FLOPs (an integer when it is one).
nlohmann::json LoadJson(Load value);

}  // namespace skyrun::partition
