// The files of one local task directory: the contract between LocalDriver (in
// the server) and the supervisor (a detached `skyrun supervise DIR` process).
//
//   <job_dir>/attempt-<n>/rank-<r>/     the task dir; its path is the driver handle
//     task.json       written by the driver before the supervisor starts: what to run
//                     (and in which sandbox, as which uid)
//     claim           exactly one owner: a supervisor's pid, or "voided"/"cancelled"
//                     written by the server so that the task never starts
//     lock            flock'ed (exclusive) by the supervisor for its whole life
//     started         written by the supervisor right after the task's child is forked
//     exit.json       written atomically by the supervisor when the task is over
//     output.log      the task's merged stdout and stderr (setup, then run)
//     supervisor.log  the supervisor's own diagnostics
//     work/           the task's cwd (staged workdir and file mounts)
//
// Everything here is plain data plus small file helpers, so that the driver,
// the supervisor and the tests agree on one format. Thread-safety: the
// functions are thread-safe; the records are plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/job.h"

namespace skyrun {

// Paths inside one task directory.
class TaskPaths {
 public:
  explicit TaskPaths(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string TaskJson() const { return dir_ + "/task.json"; }
  std::string Claim() const { return dir_ + "/claim"; }
  std::string Lock() const { return dir_ + "/lock"; }
  std::string Started() const { return dir_ + "/started"; }
  std::string ExitJson() const { return dir_ + "/exit.json"; }
  std::string OutputLog() const { return dir_ + "/output.log"; }
  std::string SupervisorLog() const { return dir_ + "/supervisor.log"; }
  std::string WorkDir() const { return dir_ + "/work"; }

 private:
  std::string dir_;
};

// Claim contents other than a supervisor pid.
inline constexpr const char* kClaimVoided = "voided";        // VoidIfUnclaimed: never runs, LOST
inline constexpr const char* kClaimCancelled = "cancelled";  // Cancel before start: never runs, KILLED

// Resource limits the supervisor applies when cgroup_parent is set (cgroup v2).
struct TaskLimits {
  int64_t cpus_milli = 0;     // 0 = no CPU limit
  int64_t memory_mib = 0;     // 0 = no memory limit
  std::string cgroup_parent;  // "" = limits are not enforced on this machine
};

// A host directory bound into the sandbox at `target` (a volume, volume.h in
// src/storage): read-only, or writable by the task's uid.
struct SandboxBind {
  std::string source;  // absolute host path
  std::string target;  // absolute path inside the sandbox
  bool read_only = false;
};

// The sandbox a task's phases run in (bubblewrap, sandbox.h). Disabled: the
// task runs as the supervisor's user and sees the whole machine.
struct TaskSandbox {
  bool enabled = false;
  std::string bwrap = "/usr/bin/bwrap";
  int uid = -1;  // the user the task runs as; -1 = the supervisor's own (no switch)
  int gid = -1;
  std::vector<std::string> hidden;    // directories the task sees as empty (the server's state)
  std::vector<std::string> writable;  // the only host directories it may write, at their own paths
  std::vector<std::string> devices;   // device nodes it gets (/dev/nvidia*), beside a minimal /dev
  // A container image's unpacked tree (image/image_manager.h), seen as `/`
  // instead of the host's system; "" = the host's system, read-only.
  std::string rootfs;
  // The image's User as the task sees itself inside a user namespace of its
  // own (bwrap --unshare-user --uid --gid; image/image_user.h): what `id`
  // prints there. -1 = none (no user namespace). The host uid is `uid` still.
  int64_t image_uid = -1;
  int64_t image_gid = -1;
  std::vector<SandboxBind> binds;  // volumes, bound after the writable directories
};

// An output of the task uploaded after it succeeded (storage/object_staging.h).
struct TaskOutput {
  std::string rel;  // below the task's cwd
  std::string uri;  // s3://bucket/key
};

// task.json: everything the supervisor needs; it reads nothing else.
struct TaskFile {
  std::string job_id;
  int attempt_no = 1;
  int rank = 0;
  std::string role;
  std::string cwd;
  std::string log_path;
  std::vector<std::string> setup_argv;  // empty = no setup
  std::vector<std::string> run_argv;
  std::map<std::string, std::string> env;  // added to the supervisor's clean base env
  int64_t grace_seconds = 10;
  std::optional<int64_t> time_limit_seconds;
  TaskLimits limits;
  TaskSandbox sandbox;
  // Read by the driver, not the supervisor: uploaded once the task succeeded
  // (the result in outputs.json beside this file).
  std::vector<TaskOutput> outputs;
  Micros launched_at = 0;  // when the driver wrote this file (driver's clock)
  // Read by the driver: what it moved before the task started (inputs
  // staged, the image pulled), reported by Poll.
  DataMoved moved;
};

// started: the task's first process (setup, or run if there is no setup);
// rewritten with the run's pid and group when run follows setup.
struct StartedRecord {
  int pid = 0;
  int pgid = 0;
  Micros time = 0;            // when the task started (first fork)
  std::string phase = "run";  // "setup" | "run"
};

// exit.json: how the task ended.
struct ExitRecord {
  std::optional<int> exit_code;  // 128+signal for a death by signal; empty if it never ran
  int signal = 0;                // the signal that ended the main process, 0 if it exited
  bool cancelled = false;        // stopped by Cancel (SIGTERM to the supervisor)
  bool timed_out = false;        // stopped by the time limit
  std::string reason;            // "exit code 75", "cancelled: stopped by SIGTERM", ...
  Micros started_at = 0;
  Micros ended_at = 0;
};

std::string TaskFileToJson(const TaskFile& task);
// outputs_moved.json (beside task.json): what the upload after success moved.
std::string DataMovedToJson(const DataMoved& moved);
Result<DataMoved> DataMovedFromJson(const std::string& text);
Result<TaskFile> TaskFileFromJson(const std::string& text);
std::string StartedRecordToJson(const StartedRecord& started);
Result<StartedRecord> StartedRecordFromJson(const std::string& text);
std::string ExitRecordToJson(const ExitRecord& exit);
Result<ExitRecord> ExitRecordFromJson(const std::string& text);

// Reads a whole file. NotFound if it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);
// Whether a write must survive a machine crash (fsync of the file and its
// directory, ~10 ms on a busy disk) or only be atomic for readers. Only
// exit.json, the task's result, needs the former: after a machine crash every
// task process is gone anyway, and a lost claim or `started` reads as LOST.
enum class Durability { kAtomicOnly, kDurable };

// Writes a file so that readers see either nothing or all of it: temp file in
// the same directory, rename (with fsyncs when kDurable).
Status WriteFileAtomic(const std::string& path, const std::string& content,
                       Durability durability = Durability::kDurable);
// Creates `path` with `content` only if it does not exist yet, atomically
// with its content (temp file + link(2), which fails if the name exists; a
// reader never sees an empty claim). AlreadyExists if someone was first.
Status CreateExclusive(const std::string& path, const std::string& content,
                       Durability durability = Durability::kAtomicOnly);
// Whether some process holds an exclusive flock on `path`. Probes with a
// shared non-blocking lock, released at once, so probes never conflict with
// one another. A missing file is not held.
Result<bool> IsLockHeld(const std::string& path);

// "SIGKILL" for 9; "signal 64" when the signal has no name.
std::string SignalName(int sig);

}  // namespace skyrun
