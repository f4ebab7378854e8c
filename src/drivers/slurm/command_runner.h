// CommandRunner: how the Slurm driver runs sbatch, squeue, scontrol, sacct and
// scancel. One call runs one program (argv, no shell) to completion and returns
// its exit code, stdout and stderr; the environment is the caller's plus a few
// overrides (SLURM_CONF). A small interface, as LevelDB's Env, so that every
// operating-system call of the driver goes through one place and tests can
// substitute a recording fake.
//
// ProcessCommandRunner is the real implementation: common/process.h's
// RunProcess (posix_spawnp, own process group, timeout on a monotonic timerfd).
//
// Thread-safety: ProcessCommandRunner::Run may be called from many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/process.h"
#include "common/status.h"

namespace skyrun {

using CommandResult = ProcessResult;

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
                            int64_t timeout_ms) override {
    return RunProcess(argv, env_overrides, timeout_ms);
  }
};

}  // namespace skyrun
