// RenderVolcanoJob: a placed attempt of a job -> the Volcano Job
// (batch.volcano.sh/v1alpha1) that runs it on a Kubernetes cluster. A pure
// function: the same attempt and cluster config give byte-identical JSON, which
// is what the golden tests and the CRD-schema tests check.
//
// The shape:
//   - one Volcano task per role, in rank order: "worker" (replicas = num_nodes)
//     for single and gang jobs; one task per role (e.g. "ps", "worker") for
//     ps-worker. A role's ranks are contiguous; rank = role offset + pod index.
//   - minAvailable = every replica (all-or-nothing), the job's queue (mapped by
//     the cluster config), schedulerName volcano; gangs restart on PodEvicted
//     (Volcano's maxRetry times) and stop on PodFailed; a ps-worker job completes
//     when its workers do; the env and svc plugins give each pod its task index
//     and a DNS name "<job>-<task>-<index>.<job>".
//   - per pod: the image (role's, job's, or the cluster default), requests and
//     limits for cpu and memory, nvidia.com/gpu for whole GPUs or Volcano vGPU
//     resources plus a skyrun.io/gpu-milli annotation for a GPU share, node
//     affinity to the placed nodes, the checkpoint volume at the job's
//     checkpoint dir, and the controller's environment with the per-rank
//     variables (RANK, SKYRUN_NODE_RANK, MASTER_ADDR, ...) recomputed in the pod,
//     since all replicas of a task share one template.
//
// Refuses (InvalidArgument, with what to change) what a Volcano Job cannot
// express: no image anywhere, no run command, replicas of one role placed with
// different resources or given different environments, a queue name that is
// not a DNS name.
//
// Called by KubernetesDriver::Launch and by the golden tests.
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "drivers/driver.h"
#include "drivers/kubernetes/kubernetes_config.h"
#include "drivers/kubernetes/volcano_names.h"

namespace skyrun {

struct RenderedVolcanoJob {
  std::string job_name;               // the Volcano Job's metadata.name
  nlohmann::ordered_json manifest;    // kubectl apply accepts it as JSON
  std::vector<VolcanoTaskRef> tasks;  // by rank: where each task of the attempt will run
};

Result<RenderedVolcanoJob> RenderVolcanoJob(const AttemptLaunch& launch,
                                            const KubernetesClusterConfig& config);

// The shell wrapper every container runs: computes the rank from the pod's
// task index, runs setup ($1) then execs run ($2). Exposed for tests.
const char* VolcanoTaskWrapperScript();

// Escapes Kubernetes' $(VAR) expansion in command, args and env values so
// that the text reaches the shell as written ("$(x)" -> "$$(x)", "$$" -> "$$$").
std::string EscapeKubeExpansion(const std::string& text);

}  // namespace skyrun
