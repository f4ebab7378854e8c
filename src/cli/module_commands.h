// The subcommands whose work is done by a library module: src/cli parses
// their arguments (CLI11) and calls the module's Run* function, so that the
// modules themselves do not depend on CLI11. apps/skyrun/main.cc calls each
// Register* once; each callback sets *exit_code to the command's exit status.
// Thread-safety: registration and parsing run in main() only.
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace skyrun {

// `skyrun expr eval|check` and `skyrun match` (expr/expr_cli.h).
void RegisterExprCommands(CLI::App& app, int* exit_code);
// `skyrun offers [GPU[:COUNT]]` (catalog/offers_cli.h).
void RegisterOffersCommand(CLI::App& app, int* exit_code);
// `skyrun partition` and `skyrun partition experiment` (partition/partition_cli.h).
void RegisterPartitionCommands(CLI::App& app, int* exit_code);
// `skyrun plan` (optimizer/plan_cli.h).
void RegisterPlanCommands(CLI::App& app, int* exit_code);
// `skyrun server` (server/server_cli.h).
void RegisterServerCommands(CLI::App& app, int* exit_code);
// `skyrun validate` (spec/spec_cli.h).
void RegisterSpecCommands(CLI::App& app, int* exit_code);
// The hidden `skyrun supervise TASK_DIR` that the local driver starts, detached,
// once per local task (drivers/local/supervisor.h).
void RegisterSupervisorCommand(CLI::App& app, int* exit_code);

}  // namespace skyrun
