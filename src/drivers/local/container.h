// The command line a local task runs: `/bin/bash -c SHELL`, or the same shell
// wrapped in a container runtime when the task names an image. LocalDriver
// renders it into task.json; the supervisor only execs it.
//
// Container support is best effort (no runtime exists on the build machines):
// podman/docker get `run --rm --network=host` with the task's cwd bind-mounted
// at the same path, the staged absolute file_mounts bind-mounted at their real
// targets, env passed by name (values stay out of argv) and GPUs by index;
// apptainer/singularity get `exec --nv` with the same binds.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/local/staging.h"

namespace skyrun {

// The runtimes the local pool knows how to drive.
const std::vector<std::string>& KnownContainerRuntimes();

struct ContainerContext {
  std::string runtime;  // "" = none
  std::string image;    // "" = run on the host
  std::string cwd;
  std::vector<std::string> env_names;  // passed through from the supervisor-built env
  std::vector<int> gpu_indices;
  std::vector<StagedMount> mounts;
  int64_t cpus_milli = 0;
  int64_t memory_mib = 0;
};

// argv for one shell snippet (setup or run). InvalidArgument for an unknown
// runtime, FailedPrecondition for an image without a runtime.
Result<std::vector<std::string>> RenderTaskArgv(const ContainerContext& ctx, const std::string& shell);

}  // namespace skyrun
