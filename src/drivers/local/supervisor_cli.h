// `skyrun supervise <task_dir>`: the hidden subcommand that LocalDriver starts,
// detached, once per local task (see supervisor.h). apps/skyrun/main.cc calls
// RegisterSupervisorCommand once at start-up. Thread-safety: call from main().
#pragma once

namespace CLI {
class App;
}

namespace skyrun {

// Adds the hidden "supervise" subcommand; its exit status goes to *exit_code.
void RegisterSupervisorCommand(CLI::App& app, int* exit_code);

}  // namespace skyrun
