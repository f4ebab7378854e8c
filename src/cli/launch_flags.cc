#include "cli/launch_flags.h"

extern char** environ;  // POSIX: this process's environment, for a bare --env K

namespace skyrun {

Result<LaunchOverrides> LaunchFlags::Overrides() const {
  LaunchOverrides o;
  for (const auto& e : envs) {
    SKYRUN_ASSIGN_OR_RETURN(auto kv, ParseEnvFlag(e, "--env", environ));
    o.envs.push_back(std::move(kv));
  }
  for (const auto& e : secrets) {
    SKYRUN_ASSIGN_OR_RETURN(auto kv, ParseEnvFlag(e, "--secret", environ));
    o.secrets.push_back(std::move(kv));
  }
  o.gpus = gpus;
  if (num_nodes != 0) o.num_nodes = num_nodes;
  return o;
}

void AddLaunchFlags(CLI::App* cmd, LaunchFlags* flags) {
  cmd->add_option(
      "--env", flags->envs,
      "set an env of the spec, or give one it requires (NAME=VALUE, or NAME to take it from here)");
  cmd->add_option("--secret", flags->secrets,
                  "set a secret of the spec: an env whose value is never shown (NAME=VALUE or NAME)");
  cmd->add_option("--gpus", flags->gpus, "the GPUs each task needs, overriding the spec (A100:8)");
  cmd->add_option("--num-nodes", flags->num_nodes, "the number of nodes, overriding the spec")
      ->check(CLI::Range(1, 1024));
}

}  // namespace skyrun
