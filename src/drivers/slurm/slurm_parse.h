// Pure parsers for what Slurm's commands print, and the mapping of Slurm job
// states onto skyrun's RunState. The SlurmDriver runs the commands; these
// functions only read text, so they are tested on outputs recorded from a real
// cluster (tests/slurm/recorded/, made by tests/slurm/record_outputs.sh).
//
// Formats read (Slurm 22.05; stable since at least 20.11):
//   scontrol show node -o   one line per node of Key=Value pairs
//   scontrol show job -o    one line per job of Key=Value pairs
//   squeue -h -o kSqueueFormat ('%i|%T|%N|%S|%r')
//   sacct -n -P -X -o kSacctFields
// Values may contain spaces (JobName=a b, Reason=Not responding [root@...],
// OS=Linux 6.1 #1 SMP): a word without '=' (or whose key is not CamelCase)
// continues the previous value.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/job.h"

namespace skyrun {

// The squeue output format and sacct fields the parsers below read.
inline constexpr const char* kSqueueFormat = "%i|%T|%N|%S|%r";
inline constexpr const char* kSacctFields = "JobIDRaw,State,ExitCode,Start,End,NodeList";

// "A=1 B=x y C=" -> {A: "1", B: "x y", C: ""}.
std::map<std::string, std::string> ParseKeyValueLine(const std::string& line);

// One GRES entry of a node: "gpu:T4:2(S:0-1)" -> {name gpu, type T4, count 2}.
struct GresEntry {
  std::string name;  // "gpu", "shard", "mps"
  std::string type;  // "" when untyped ("gpu:2")
  int count = 0;
};
// "gpu:T4:2(S:0-1),shard:8" -> entries; "(null)" or "" -> none.
std::vector<GresEntry> ParseGres(const std::string& gres);
// The device indices of the "gpu" entries of an allocation as `scontrol -d`
// prints it: "gpu:T4:1(IDX:0),gpu:a100:2(IDX:2-3)" -> {0, 2, 3}; entries
// without IDX (or IDX:N/A) add none.
std::set<int> ParseGresIndices(const std::string& gres);

// One node from `scontrol show node -o`.
struct SlurmNodeInfo {
  std::string name;              // NodeName
  std::string address;           // NodeAddr
  std::string state;             // raw: "IDLE", "MIXED+DRAIN", "DOWN+NOT_RESPONDING"
  int64_t cpus = 0;              // CPUEfctv (CPUTot when absent)
  int64_t cpus_alloc = 0;        // CPUAlloc
  int64_t memory_mib = 0;        // RealMemory
  int64_t memory_alloc_mib = 0;  // AllocMem
  std::vector<GresEntry> gres;
  // From `scontrol show node -d` (GresUsed=gpu:T4:1(IDX:0)): whether it said,
  // and the indices of the node's GPUs that jobs hold now.
  bool gpus_used_known = false;
  std::set<int> gpus_used;
  std::vector<std::string> partitions;
  std::string features;  // AvailableFeatures ("" for (null))
  std::string reason;    // Reason (drain/down), "" if none
  // The GPUs of this node (gres "gpu"), all types together.
  int GpuCount() const;
};
// Every node line of `scontrol show node -o`; a malformed line is an error
// naming the line.
Result<std::vector<SlurmNodeInfo>> ParseScontrolNodes(const std::string& text);

// How skyrun sees a node state, scontrol's ("MIXED+DRAIN") or sinfo's
// ("down*"): down for DOWN, FAIL, NOT_RESPONDING ("*"), UNKNOWN, FUTURE;
// drain for DRAIN/DRAINING/DRAINED, FAILING, MAINT(ENANCE), REBOOT_*; up for
// the rest (IDLE, MIXED, ALLOCATED, COMPLETING, RESERVED, POWERED_DOWN: a
// cloud node Slurm powers up on demand).
enum class SlurmNodeHealth { kUp, kDrain, kDown };
SlurmNodeHealth ClassifyNodeState(const std::string& state);

// One job, from `scontrol show job -o`, squeue or sacct (fields each has).
struct SlurmJobInfo {
  std::string job_id;
  std::string name;
  std::string state;      // "PENDING", "RUNNING", "COMPLETED", "NODE_FAIL", ...
  std::string reason;     // "Resources", "NonZeroExitCode", "NodeDown", "None"
  std::string node_list;  // "node[1-2]"; "" while pending
  std::string batch_host;
  std::optional<int> exit_code;    // ExitCode=3:0 -> 3
  std::optional<int> exit_signal;  // ExitCode=0:15 -> 15
  Micros start_time = 0;           // 0 = unknown/none (also for a pending job's estimate)
  Micros end_time = 0;             // 0 = unknown/none (also for a running job's limit)
};

// `scontrol show job -o ID` output (first job line). NotFound for "Invalid job
// id specified" (purged after MinJobAge, or never existed).
Result<SlurmJobInfo> ParseScontrolJob(const std::string& text);
// `squeue -h -o kSqueueFormat -j ID` output; nullopt when it printed nothing
// (squeue hides finished jobs); NotFound for an unknown job id.
Result<std::optional<SlurmJobInfo>> ParseSqueueLine(const std::string& text);
// `sacct -n -P -X -o kSacctFields -j ID` output. NotFound when sacct printed
// no row for the job; FailedPrecondition when accounting is disabled.
Result<SlurmJobInfo> ParseSacctLine(const std::string& text);
// `sacct -n -P -X -o kSacctFields -j ID,ID,...` output: one job per row, in
// sacct's order (none when it knows none). FailedPrecondition when accounting
// is disabled; InvalidArgument for a row that does not have the fields.
Result<std::vector<SlurmJobInfo>> ParseSacctRows(const std::string& text);

// Keeps a pending job's start estimate and a running job's time limit out of
// the start/end times (only real events count), by its state.
void DropEstimatedTimes(SlurmJobInfo* job);

// Slurm's local time "2026-11-23T13:38:06" -> microseconds since the epoch.
// "Unknown", "None", "N/A", "" -> 0. Uses the process's time zone, as Slurm does.
Micros ParseSlurmTime(const std::string& s);

// Hostlist expressions: "node[1-3,5],gpu07,a[01-02]b" -> node1 node2 node3
// node5 gpu07 a01b a02b. InvalidArgument on unbalanced brackets.
Result<std::vector<std::string>> ExpandHostlist(const std::string& expr);

// True for states after which Slurm will not run the job again.
bool IsTerminalSlurmState(const std::string& state);

// What a Slurm job state means for one rank of skyrun's attempt.
struct RankOutcome {
  RunState state = RunState::kPending;
  std::optional<int> exit_code;
  std::string reason;
};
// Maps a job state (and reason) to the rank's RunState when the rank left no
// exit file: PENDING -> LAUNCHING "PENDING: Resources", RUNNING/COMPLETING ->
// RUNNING, COMPLETED -> SUCCEEDED, FAILED -> FAILED, CANCELLED -> KILLED,
// TIMEOUT -> FAILED "TIMEOUT: time limit reached", NODE_FAIL -> LOST
// "NODE_FAIL: ..." (failed_nodes named), PREEMPTED -> LOST "PREEMPTED",
// OUT_OF_MEMORY -> FAILED "OUT_OF_MEMORY", BOOT_FAIL -> LOST, DEADLINE ->
// FAILED. LOST is what skyrun's recovery policy retries.
RankOutcome MapSlurmJobState(const SlurmJobInfo& job, const std::vector<std::string>& failed_nodes);

// One rank's outcome: its own exit code (from the exit file its wrapper
// wrote) when it has one, which wins over the job state (a rank that exited 0
// before a NODE_FAIL succeeded), else MapSlurmJobState. A rank killed by a
// signal (exit code > 128) in a job Slurm ended from outside (CANCELLED,
// TIMEOUT, NODE_FAIL, ...) takes the job's outcome.
RankOutcome ResolveRankOutcome(const SlurmJobInfo& job, std::optional<int> rank_exit_code,
                               const std::vector<std::string>& failed_nodes);

}  // namespace skyrun
