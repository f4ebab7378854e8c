// KubectlRunner: how the Kubernetes driver runs kubectl. An argv goes in; the
// exit code, stdout and stderr come out. The real implementation spawns the
// program (no shell, so no quoting issues); tests substitute a recording fake
// because no Kubernetes API server can run on the build machines. (Named apart
// from the Slurm driver's CommandRunner so that both can live in one binary.)
// There is no timeout here: every kubectl call carries --request-timeout.
//
// Thread-safety: implementations must allow concurrent Run calls;
// ProcessKubectlRunner is stateless.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace skyrun {

struct KubectlResult {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string stdout_text;
  std::string stderr_text;
};

class KubectlRunner {
 public:
  virtual ~KubectlRunner() = default;
  // Runs argv[0] (searched in PATH) to completion. An error means it could not
  // be started at all (not found, not executable); a non-zero exit is a result.
  virtual Result<KubectlResult> Run(const std::vector<std::string>& argv) = 0;
};

// common/process.h's RunProcess: posix_spawn + pipes; stdin is /dev/null.
class ProcessKubectlRunner final : public KubectlRunner {
 public:
  Result<KubectlResult> Run(const std::vector<std::string>& argv) override;
};

}  // namespace skyrun
