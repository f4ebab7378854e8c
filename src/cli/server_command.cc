// `skyrun server`: its flags to RunServer.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/module_commands.h"
#include "server/server_cli.h"

namespace skyrun {

void RegisterServerCommands(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("server", "run the control plane: REST API, controller, backends");
  auto flags = std::make_shared<ServerFlags>();
  cmd->add_option("--config", flags->config, "server config (YAML); embedded defaults without it");
  cmd->add_option("--state-dir", flags->state_dir,
                  "where state lives (default $SKYRUN_STATE_DIR or ~/.skyrun)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to serve on (default 127.0.0.1:8787)");
  cmd->add_option("--log-level", flags->log_level,
                  "debug, info, warn or error (default: the config's log_level, info)");
  cmd->callback([flags, exit_code] { *exit_code = RunServer(*flags); });
}
}  // namespace skyrun
