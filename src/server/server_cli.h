// `skyrun server`: wires the store, the backends' drivers, the controller and
// the HTTP API together and serves until SIGINT/SIGTERM.
#pragma once

#include "controller/controller.h"

namespace CLI {
class App;
}

namespace skyrun {

void RegisterServerCommands(CLI::App& app, int* exit_code);

// The spec module's parser as the decoder the store, controller and API use:
// stored YAML back into a JobSpec, relative paths resolved against the spec
// file's directory. Problems come back one per line in the status message.
SpecDecoder MakeSpecDecoder();

}  // namespace skyrun
