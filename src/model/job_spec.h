// JobSpec: what a user asked for, as parsed and validated from YAML by
// spec/ and stored verbatim (its source text) with the job. Plain data; the
// parser guarantees every invariant noted here. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/quantities.h"

namespace skyrun {

enum class JobMode { kSingle, kGang, kPsWorker, kPipeline, kService };
const char* JobModeName(JobMode mode);

// A position in the source YAML (1-based), kept so later checks (placement,
// admission) can point at the field that caused a refusal.
struct SourcePos {
  int line = 0;
  int column = 0;
};

// resources: what one task needs. Quantities are typed integers (common/quantities.h).
struct ResourceRequest {
  MilliCpu cpus_milli{1000};  // at least this many (the "+" form and the plain form both mean a floor)
  bool cpus_exact = false;    // "8" without "+": exactly this; "8+": at least
  MemoryMiB memory_mib;       // 0 = no explicit request (the driver uses a small default)
  bool memory_exact = false;
  // accelerators: any one of these models, with the count for that model.
  // {"A100": 8} or {"A100": 8, "H100": 8}. Empty = no GPU.
  std::map<std::string, int> accelerators;
  MilliGpu gpu_milli;  // 1..1000: a share of one GPU; exclusive with accelerators count > 1
  bool use_spot = false;
  std::string requirements;        // expression language (expr/); empty = TRUE
  std::string rank;                // expression language; empty = 0
  std::vector<std::string> infra;  // allowed places: "local", "slurm/hpc1", "aws/us-east-1"; empty = all
  std::optional<double> max_hourly_cost;  // USD
  // SkyPilot's ordered preferences (spec/skypilot_fields.h): the models of
  // `accelerators` in the order a list wrote them, and `ordered`: the places
  // of `infra` are tried in the order written (the broker places by both:
  // controller/broker.h's ChoosePlacement).
  std::vector<std::string> accelerator_order;
  bool infra_ordered = false;

  // GPUs a task needs in milli-units: gpu_milli, or 1000 x the count of the
  // (first) accelerator choice. Multi-GPU tasks take whole GPUs.
  MilliGpu GpuMilliFor(const std::string& model) const;
  bool WantsGpu() const { return !accelerators.empty() || gpu_milli.IsPositive(); }
};

struct Role {
  std::string name;  // "ps", "worker"
  int count = 1;
  ResourceRequest resources;
  std::string image;  // overrides the job's image
  std::string run;    // overrides the job's run
  // Holds the job's state (a parameter server): never placed on spot
  // capacity, whatever use_spot says (optimizer/roles_plan.h). Default: true
  // for a role named `ps`, false for the others.
  bool stateful = false;
};

struct DataRef {
  std::string uri;
  double size_gb = 0;
  std::string location;  // "aws/us-east-1"; empty = unknown
  // Where in the task the data is staged (inputs) or read from (outputs),
  // as a file_mounts target ("/data" = $SKYRUN_MOUNT_ROOT/data). Empty: the
  // reference only prices data movement (the broker's fields).
  std::string path;
};

// A named volume of the job's tenant bound into each task (storage/volume_store.h).
struct VolumeMount {
  std::string name;
  std::string path;  // where the task sees it: "/data" lands at $SKYRUN_MOUNT_ROOT/data, as file_mounts do
  bool read_only = false;
};

struct RecoveryPolicy {
  std::string strategy = "failover";  // failover | eager_next_region | none
  int max_restarts_on_errors =
      0;  // restarts after a task error (exit code in recover_on_exit_codes, or any if empty and > 0)
  std::vector<int> recover_on_exit_codes;
};

// partition: for mode pipeline, how the model's units are split over the
// job's tasks (src/partition). Each task gets its contiguous range as
// SKYRUN_LAYER_START/END. Exactly one of model and profile is set.
struct PartitionSpec {
  std::string model;               // a built-in profile ("bert-large")
  int64_t layers = 0;              // encoder layers of the built-in model (0 = its own)
  std::string profile;             // a user profile CSV, relative to the spec's directory
  std::string algorithm = "auto";  // an allocator name, or auto (exact, with links exact-comm)
  bool empty() const { return model.empty() && profile.empty(); }
};

// A job array (sbatch --array, issue 15): the server stores one job per
// index (server.cc's Submit; spec/sbatch_array.h), each carrying the whole
// array and its own index, so that its tasks get SLURM_ARRAY_* and the
// controller holds at most `limit` of one array running (controller/job_array.h).
struct JobArray {
  std::vector<int> indices;  // every index, ascending, distinct; empty = not an array
  int step = 1;              // SLURM_ARRAY_TASK_STEP as Slurm sets it (the first ":S" written, else 1)
  int limit = 0;             // %N: at most N of the array running at once; 0 = no limit
  int task_id = -1;          // this job's index; -1 = the array as submitted, not yet expanded
  int64_t array_job_id = 0;  // the first element's job id; 0 = this job is the first
  bool present() const { return !indices.empty(); }
};

// num_nodes: MIN..MAX with scaling_efficiency (issue 12): the broker
// (optimizer/optimizer.h) chooses how many nodes each attempt gets, under the
// deadline and budget. JobSpec::num_nodes holds MIN until then (what a job
// placed without the broker runs with) and the chosen count for an attempt.
// The runtime estimate is for MIN nodes; n nodes take
//   runtime(n) = runtime(MIN) x S(MIN) / S(n),  S(n) = n x e^log2(n)
// (e: the parallel efficiency kept per doubling of the node count).
struct NodeRange {
  int min = 0;  // 0 = num_nodes is a plain count
  int max = 0;
  double scaling_efficiency = 1;  // 0 < e <= 1
  bool present() const { return max > 0; }
};

struct JobSpec {
  std::string name;
  std::string queue = "default";
  int priority = 0;
  JobMode mode = JobMode::kSingle;
  int num_nodes = 1;
  // How many of the num_nodes ranks may share one node (1: each on its own
  // node, what SkyPilot and Slurm users mean by nodes).
  int tasks_per_node = 1;
  NodeRange node_range;     // num_nodes: MIN..MAX; empty for a plain count
  std::vector<Role> roles;  // ps-worker only
  ResourceRequest resources;
  std::string image;
  std::map<std::string, std::string> envs;
  // secrets: exported like envs, but their values are never echoed (the
  // spec's JSON, summaries and messages show "<secret>").
  std::map<std::string, std::string> secrets;
  // labels (SkyPilot's resources.labels): free key/value pairs kept with the job.
  std::map<std::string, std::string> labels;
  std::string workdir;                             // local directory staged into each task's cwd
  std::map<std::string, std::string> file_mounts;  // task path -> local source path
  std::vector<DataRef> inputs;
  std::vector<DataRef> outputs;
  std::vector<VolumeMount> volumes;
  std::string setup;
  std::string run;
  std::string checkpoint_dir;  // checkpoint.dir; empty = none requested (skyrun still provides one)
  RecoveryPolicy recovery;
  std::string objective = "cost";  // cost | time
  std::optional<int64_t> deadline_seconds;
  // time_limit: how long an attempt may run (sbatch --time); the driver stops
  // it then, and the scheduler plans reservations with it. Unset: the
  // queue's default from the server config, else none.
  std::optional<int64_t> time_limit_seconds;
  std::optional<double> budget_usd;
  std::vector<std::string> depends_on;  // pipeline stages (multi-document files)
  PartitionSpec partition;              // mode pipeline only
  // Read from a Slurm batch script (spec/sbatch_script.h): its tasks also get
  // the SLURM_* variables a script reads (controller/task_env.cc).
  bool slurm_env = false;
  JobArray array;  // sbatch --array

  // Where relative workdir/file_mounts paths are resolved: the directory of
  // the spec file at submission time (the CLI makes them absolute).
  std::string base_dir;

  // Where each field was written in the source YAML, by dotted path as in
  // spec/'s problems ("resources.requirements", "roles.worker.count",
  // "depends_on[1]"), so that later checks (the expression language,
  // admission) can point at the line. Empty for specs not parsed from YAML.
  std::map<std::string, SourcePos> field_positions;

  // The number of tasks this job starts: num_nodes, or the sum of role counts.
  int TaskCount() const;
};

}  // namespace skyrun
