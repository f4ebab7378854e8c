// `skyrun admin token create | list | revoke`: the CLI side of token
// administration (server/token_admin.h says who may do what).
// Who calls it: cli/commands.cc, under `admin token`. Thread-safety: CLI only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace CLI {
class App;
}

namespace skyrun {

void RegisterTokenCommands(CLI::App* token, int* exit_code);

// The id of the one token `which` names: an id ("3") or a prefix of the
// token as `list` shows it ("skyrun_1a2b3c4d", or without "skyrun_"; at least
// 4 hex characters), or a whole token pasted. NotFound / InvalidArgument
// (ambiguous, too short) say what to do.
Result<int64_t> ResolveToken(const std::string& which, const nlohmann::json& tokens);

}  // namespace skyrun
