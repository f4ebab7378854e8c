// Test support (linked only into tests and test tools): the placed attempts
// whose rendered Volcano Jobs are kept as golden files in
// tests/kubernetes/golden/<name>.json and validated against Volcano's CRD
// schema by tests/kubernetes/. Each attempt is built the way the controller
// builds one (the same environment variables per rank), from a job spec, a
// placement and a cluster config:
//
//   single     one T4 task, the job's image, checkpoints on a PVC
//   gang       2 nodes x 2 A100, setup + torchrun, a mapped queue, a time limit
//   ps_worker  1 CPU parameter server + 2 V100 workers, each role with its own
//              image, resources and run command; checkpoints on a hostPath
//   milli_gpu  half a GPU (gpu_milli 500), the cluster's default image, no
//              checkpoint volume (emptyDir), shell text that Kubernetes would
//              otherwise expand ($(...), $$)
//   volumes    a 2-pod gang of tenant Team_A with two volumes as claims, one
//              read-only
//
// Thread-safety: plain values.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "model/job_spec.h"

namespace skyrun {

struct VolcanoCase {
  std::string name;
  std::shared_ptr<const JobSpec> spec;  // launch.spec points here; copies share it
  AttemptLaunch launch;
  KubernetesClusterConfig config;
};

std::vector<VolcanoCase> VolcanoGoldenCases();

// The environment the controller gives rank `rank` (mirrors TaskEnvironment
// in src/controller/task_env.cc, which this module cannot link against).
std::map<std::string, std::string> ControllerLikeEnv(const AttemptLaunch& launch, const Placement& placement,
                                                     int rank,
                                                     const std::map<std::string, std::string>& user_envs);

}  // namespace skyrun
