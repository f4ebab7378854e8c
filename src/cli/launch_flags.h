// The flags of `skyrun launch` and `skyrun validate` that override a spec
// file as `sky launch` does: --env K=V, --secret K=V, --gpus A100:8,
// --num-nodes 2 (spec/spec_overrides.h applies them).
// Thread-safety: run from main() only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "spec/spec_overrides.h"

namespace skyrun {

struct LaunchFlags {
  std::vector<std::string> envs;
  std::vector<std::string> secrets;
  std::string gpus;
  int num_nodes = 0;  // 0 = as the file says

  // The flags checked and, for a bare --env K, K's value from this process's environment.
  Result<LaunchOverrides> Overrides() const;
};

void AddLaunchFlags(CLI::App* cmd, LaunchFlags* flags);

}  // namespace skyrun
