// RunProcess: runs one program (argv, no shell) to completion and returns its
// exit code, stdout and stderr. The environment is the caller's plus a few
// overrides (SLURM_CONF, say). Used by the drivers that drive an engine
// through its command-line tools (Slurm's sbatch/squeue/scontrol/scancel,
// kubectl), behind their own small runner interfaces so tests can record.
//
// posix_spawnp with pipes, stdin from /dev/null, the child in its own process
// group with default signal dispositions, both outputs read concurrently (each
// capped at 64 MiB), and an optional timeout armed on a CLOCK_MONOTONIC
// timerfd after which the whole group is killed with SIGKILL.
//
// Thread-safety: may be called from many threads at once (pipes are
// close-on-exec, so one call's child never holds another's).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

struct ProcessResult {
  int exit_code = 0;       // the program's exit status; 128 + N when killed by signal N
  std::string out;         // stdout
  std::string err;         // stderr
  bool timed_out = false;  // killed after the timeout
};

// Runs argv[0] (searched in PATH). An error Status means the program could not
// be run at all (NotFound when it is not there, Internal without pipes); a
// program that ran and failed is an OK Result with its non-zero exit_code.
// timeout_ms <= 0: no timeout.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env_overrides = {},
                                 int64_t timeout_ms = 0);

// "sbatch --parsable /x/job.sbatch" for messages (arguments with spaces quoted).
std::string FormatCommand(const std::vector<std::string>& argv);

}  // namespace skyrun
