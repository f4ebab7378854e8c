// `skyrun server`: wires the store, the backends' drivers, the controller and
// the HTTP API together and serves until SIGINT/SIGTERM. Called from main()
// through src/cli/server_command.cc. Thread-safety: call once, from main().
#pragma once

#include <string>

#include "controller/controller.h"

namespace skyrun {

// `skyrun server`'s flags; src/cli/server_command.cc fills them (CLI11).
struct ServerFlags {
  std::string config;     // server config (YAML); embedded defaults when empty
  std::string state_dir;  // empty: $SKYRUN_STATE_DIR or ~/.skyrun
  std::string listen;     // HOST:PORT; empty: the config's or 127.0.0.1:8787
  std::string log_level;  // debug, info, warn or error; empty: the config's (info)
};

// Runs the server until SIGINT/SIGTERM; returns the process exit status.
int RunServer(const ServerFlags& flags);

// The spec module's parser as the decoder the store, controller and API use:
// stored YAML back into a JobSpec, relative paths resolved against the spec
// file's directory. Problems come back one per line in the status message.
SpecDecoder MakeSpecDecoder();

}  // namespace skyrun
