// Mode pipeline: the model's units split over a placed attempt's tasks by the
// partitioner (src/partition), one contiguous range per task in rank order.
//
// Each task is a device: its speed comes from its node's attributes
// (Slowness: time per FLOP relative to the fastest, 1 = fastest; or
// BenchSeconds: the node's measured seconds for examples/partition/
// device_bench.py, turned into slowness against the fastest placed node;
// neither: 1), its memory from the GPUs it was given (else its memory
// request, else the node's memory). The answer goes to the tasks as
// SKYRUN_LAYER_START/END (inclusive unit indices), SKYRUN_STAGE and
// SKYRUN_NUM_STAGES, SKYRUN_NUM_UNITS.
//
// Thread-safety: pure functions (PipelineModel reads a profile file).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "model/placement.h"
#include "partition/partition.h"

namespace skyrun {

// The model a pipeline job names: a built-in profile, or its CSV profile
// (relative paths from spec.base_dir).
Result<partition::ModelProfile> PipelineModel(const PartitionSpec& spec, const std::string& base_dir);

// At admission: the model resolves and the algorithm is known.
Status CheckPipeline(const JobSpec& spec);

// The device profile of one placed task.
partition::DeviceProfile PipelineDevice(const TaskPlacement& task, const Node& node, double slowness);

// Per task (by position in placement.tasks): the env to add. `find_node`
// gives the node of a task's placement.
Result<std::vector<std::map<std::string, std::string>>> PipelineEnvironment(
    const JobSpec& spec, const Placement& placement, const std::vector<const Node*>& nodes);

}  // namespace skyrun
