// The client subcommands of `skyrun`: launch, queue, status, logs, cancel,
// nodes, cost-report, admin. Each talks to the server through ApiClient and prints a
// table or record for people, or JSON with -o json for scripts.
#pragma once

namespace CLI {
class App;
}

namespace skyrun {

void RegisterClientCommands(CLI::App& app, int* exit_code);
// `skyrun cost-report` (cost_report.cc); RegisterClientCommands calls it.
void RegisterCostReportCommand(CLI::App& app, int* exit_code);
// `skyrun budgets` (budgets_command.cc); RegisterClientCommands calls it.
void RegisterBudgetsCommand(CLI::App& app, int* exit_code);
// `skyrun image pull|ls|rm|prune` (images_command.cc); RegisterClientCommands calls it.
void RegisterImageCommand(CLI::App& app, int* exit_code);
// `skyrun volume create|ls|rm` (volume_command.cc); RegisterClientCommands calls it.
void RegisterVolumeCommand(CLI::App& app, int* exit_code);

}  // namespace skyrun
