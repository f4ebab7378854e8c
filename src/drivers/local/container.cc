#include "drivers/local/container.h"

#include <algorithm>

#include "common/quantities.h"
#include "common/strings.h"

namespace skyrun {

const std::vector<std::string>& KnownContainerRuntimes() {
  static const std::vector<std::string> kRuntimes = {"podman", "docker", "apptainer", "singularity"};
  return kRuntimes;
}

Result<std::vector<std::string>> RenderTaskArgv(const ContainerContext& ctx, const std::string& shell) {
  std::vector<std::string> inner = {"/bin/bash", "-c", shell};
  if (ctx.image.empty()) return inner;
  if (ctx.runtime.empty()) {
    return FailedPrecondition(
        "no container runtime is configured for the local pool; set local.runtime in the server config or "
        "drop `image`");
  }
  const auto& known = KnownContainerRuntimes();
  if (std::find(known.begin(), known.end(), ctx.runtime) == known.end()) {
    return InvalidArgument("unknown container runtime '" + ctx.runtime + "'; expected one of " +
                           Join(known, ", "));
  }
  std::vector<std::string> gpu_list;
  for (int g : ctx.gpu_indices) gpu_list.push_back(std::to_string(g));
  std::vector<std::string> argv;
  if (ctx.runtime == "podman" || ctx.runtime == "docker") {
    argv = {ctx.runtime, "run",  "--rm", "--init", "--network=host", "-v", ctx.cwd + ":" + ctx.cwd,
            "-w",        ctx.cwd};
    for (const StagedMount& m : ctx.mounts) {
      if (m.absolute) argv.insert(argv.end(), {"-v", m.host_path + ":" + m.target});
    }
    for (const std::string& name : ctx.env_names) argv.insert(argv.end(), {"-e", name});
    if (!gpu_list.empty()) {
      if (ctx.runtime == "docker") {
        argv.insert(argv.end(), {"--gpus", "\"device=" + Join(gpu_list, ",") + "\""});
      } else {
        for (const std::string& g : gpu_list) argv.insert(argv.end(), {"--device", "nvidia.com/gpu=" + g});
      }
    }
    if (ctx.cpus_milli > 0) argv.insert(argv.end(), {"--cpus", FormatMilli(ctx.cpus_milli)});
    if (ctx.memory_mib > 0) argv.insert(argv.end(), {"--memory", std::to_string(ctx.memory_mib) + "m"});
    argv.push_back(ctx.image);
  } else {  // apptainer, singularity: the host env passes through by default
    argv = {ctx.runtime, "exec", "--pwd", ctx.cwd, "--bind", ctx.cwd};
    for (const StagedMount& m : ctx.mounts) {
      if (m.absolute) argv.insert(argv.end(), {"--bind", m.host_path + ":" + m.target});
    }
    if (!gpu_list.empty()) argv.push_back("--nv");
    bool local_image =
        ctx.image.find("://") != std::string::npos || ctx.image.front() == '/' || ctx.image.ends_with(".sif");
    argv.push_back(local_image ? ctx.image : "docker://" + ctx.image);
  }
  argv.insert(argv.end(), inner.begin(), inner.end());
  return argv;
}

}  // namespace skyrun
