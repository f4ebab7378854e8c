#include "drivers/kubernetes/kubectl_runner.h"

#include "common/process.h"

namespace skyrun {

Result<KubectlResult> ProcessKubectlRunner::Run(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0].empty()) return InvalidArgument("no program to run");
  // No timeout here: every kubectl call carries --request-timeout.
  SKYRUN_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv));
  return KubectlResult{r.exit_code, std::move(r.out), std::move(r.err)};
}

}  // namespace skyrun
