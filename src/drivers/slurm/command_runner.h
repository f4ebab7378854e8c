// CommandRunner: how the Slurm driver runs sbatch, squeue, scontrol, sacct and
// scancel. One call runs one program (argv, no shell) to completion and returns
// its exit code, stdout and stderr; the environment is the caller's plus a few
// overrides (SLURM_CONF). A small interface, as LevelDB's Env, so that every
// operating-system call of the driver goes through one place.
//
// ProcessCommandRunner is the real implementation: posix_spawnp with pipes,
// stdin from /dev/null, the child in its own process group, and a timeout
// armed on a CLOCK_MONOTONIC timerfd (no wall-clock reads) after which the
// whole group is killed with SIGKILL.
//
// Thread-safety: ProcessCommandRunner::Run may be called from many threads at
// once (pipes are close-on-exec, so one call's child never holds another's).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

struct CommandResult {
  int exit_code = 0;       // the program's exit status; 128 + N when killed by signal N
  std::string out;         // stdout
  std::string err;         // stderr
  bool timed_out = false;  // killed by the runner after the timeout
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv[0] (searched in PATH) with argv. An error Status means the
  // program could not be run at all (not found, no pipes); a program that ran
  // and failed is an OK Result with its non-zero exit_code.
  virtual Result<CommandResult> Run(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env_overrides,
                                    int64_t timeout_ms) = 0;
};

class ProcessCommandRunner final : public CommandRunner {
 public:
  Result<CommandResult> Run(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env_overrides,
                            int64_t timeout_ms) override;
};

// "sbatch --parsable /x/job.sbatch" for messages (arguments with spaces quoted).
std::string FormatCommand(const std::vector<std::string>& argv);

}  // namespace skyrun
