// The durable picture of a job: its record, its tasks, its attempts and the
// events that moved it through the state machine. The state store persists
// these; the controller changes them only through the transitions allowed by
// job_state.h. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/quantities.h"
#include "model/job_spec.h"
#include "model/job_state.h"

namespace skyrun {

// One task of a job: a rank of a gang, a role replica, or the only task.
struct TaskRecord {
  TaskId id;
  JobId job_id;
  int rank = 0;
  std::string role;  // "" for single/gang; "ps"/"worker" for ps-worker
};

enum class RunState { kPending, kLaunching, kRunning, kSucceeded, kFailed, kKilled, kLost };
const char* RunStateName(RunState s);
std::optional<RunState> ParseRunState(const std::string& s);
bool IsTerminal(RunState s);

// The data one task moved in one attempt, as the driver that moved it
// reports it (the local pool and simcloud stage inputs, upload outputs and
// pull images; other drivers report nothing). Bytes are what crossed the
// network; what the node's cache served is counted apart.
struct DataMoved {
  int64_t in_bytes = 0;         // inputs downloaded from an object store
  int64_t in_cached_bytes = 0;  // inputs copied from the node's cache instead
  Micros in_micros = 0;         // time staging inputs (cache copies included)
  int64_t out_bytes = 0;        // outputs uploaded after success
  Micros out_micros = 0;
  int64_t image_bytes = 0;  // image blobs fetched from the registry for this task
  Micros image_micros = 0;  // time pulling its image (cached: the check only)
  // Where the network bytes came from / went to, by the object store's
  // location ("aws/us-east-1"; stores without a provider are not listed):
  // what egress billing prices. Reported, not stored with the attempt.
  std::map<std::string, int64_t> in_by_location;
  std::map<std::string, int64_t> out_by_location;
  bool Empty() const {
    return in_bytes == 0 && in_cached_bytes == 0 && in_micros == 0 && out_bytes == 0 && out_micros == 0 &&
           image_bytes == 0 && image_micros == 0;
  }
};

// One task's run in one attempt: where, from when to when, how it ended.
struct AttemptRecord {
  AttemptId id;
  JobId job_id;
  int attempt_no = 1;  // 1-based; every task of a gang shares the number
  int rank = 0;
  std::string node;              // node name the task was placed on
  std::string backend;           // "local", "slurm/hpc1", ...
  std::vector<int> gpu_indices;  // whole or shared GPUs given to the task
  MilliGpu gpu_milli;            // total milli-GPU held
  MilliCpu cpus_milli;
  MemoryMiB memory_mib;
  std::string handle;  // driver-specific: supervisor dir, Slurm job id, ...
  RunState state = RunState::kPending;
  Micros started_at = 0;
  Micros ended_at = 0;
  std::optional<int> exit_code;
  std::string reason;       // how it ended, for people
  double hourly_price = 0;  // USD/hour in force at launch
  double cost_usd = 0;      // hourly_price x run time, fixed when it ends
  DataMoved moved;          // staged in, uploaded, image pulled (stored since schema 7)
};

struct EventRecord {
  EventId id;
  JobId job_id;
  Micros time = 0;
  JobState from = JobState::kSubmitted;
  JobState to = JobState::kSubmitted;
  int attempt_no = 0;
  std::string reason;
};

struct JobRecord {
  JobId id;
  TenantId tenant;
  std::string tenant_name;
  std::string name;
  std::string queue;
  int priority = 0;
  JobState state = JobState::kSubmitted;
  std::string reason;     // why the job is in its state (last transition)
  std::string spec_yaml;  // the source text as submitted
  std::string spec_file;  // the file name it came from, for messages (never read)
  std::string upload;     // SHA-256 of the job's upload ("" = none): its files' base directory
  JobSpec spec;           // parsed form
  Micros submitted_at = 0;
  Micros updated_at = 0;
  Micros started_at = 0;   // first RUNNING
  Micros finished_at = 0;  // terminal
  int attempt_no = 0;      // current (or last) attempt number, 0 = never placed
  int restarts = 0;        // restarts used against recovery.max_restarts_on_errors
  std::string placement;   // "local: node0 [gpus 0,1]" for people
  double cost_usd = 0;     // sum over finished attempts
  bool cancel_requested = false;
};

}  // namespace skyrun
