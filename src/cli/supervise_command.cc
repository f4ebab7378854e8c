// `skyrun supervise TASK_DIR`: the process entry point of a local task's
// supervisor (see drivers/local/supervisor.h).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/module_commands.h"
#include "common/clock.h"
#include "drivers/local/supervisor.h"

namespace skyrun {

void RegisterSupervisorCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("supervise", "Supervise one local task (started by the server)");
  cmd->group("");  // internal: not listed in --help
  auto task_dir = std::make_shared<std::string>();
  cmd->add_option("task_dir", *task_dir, "The task directory written by the local driver")->required();
  cmd->callback([task_dir, exit_code] {
    // The process entry point for a supervisor: the app layer, where the
    // real clock is made and handed down.
    SystemClock clock;
    *exit_code = RunSupervisor(*task_dir, clock);
  });
}
}  // namespace skyrun
