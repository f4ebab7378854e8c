// Volcano Job and pod status -> skyrun's per-rank TaskStatus.
//
// Inputs are what kubectl prints: `kubectl get vcjob NAME -o json` (the Job,
// with status.state.phase one of Pending, Aborting, Aborted, Running,
// Restarting, Completing, Completed, Terminating, Terminated, Failed, plus
// pending/running/succeeded/failed counts, retryCount and version) and
// `kubectl get pods -l volcano.sh/job-name=NAME -o json` (a PodList: phase,
// reason such as Evicted or DeadlineExceeded, conditions, and
// containerStatuses[].state.{waiting,running,terminated} with exitCode and a
// reason such as OOMKilled).
//
// The pod named "<job>-<task>-<index>" decides a rank's state; the Job's
// phase decides what a missing pod means and overrides the pods that Volcano
// itself stopped (the rest of a gang after a failure, parameter servers when
// the workers completed, everything during a restart). Pods of an older job
// version (before a Volcano restart) are ignored.
//
//   pod Pending, not scheduled      -> PENDING (the scheduler's message)
//   pod Pending, scheduled          -> LAUNCHING (image pull, container creation)
//   bad image name / config         -> FAILED
//   pod Running                     -> RUNNING
//   pod Succeeded                   -> SUCCEEDED, exit 0
//   pod Failed, container exit N    -> FAILED, exit N (OOMKilled named as such)
//   pod Failed: Evicted, preempted  -> LOST (the controller recovers elsewhere)
//   pod Failed: DeadlineExceeded    -> KILLED (time limit)
//   pod Unknown                     -> LOST (node unreachable)
//   no Job (deleted)                -> KILLED if skyrun cancelled it, else LOST
//
// Never throws: malformed input maps to the safest state with a reason.
// Called by KubernetesDriver::Poll and the tests. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "drivers/kubernetes/volcano_names.h"

namespace skyrun {

struct VolcanoObservation {
  bool job_found = false;
  nlohmann::json job;   // the Volcano Job object (when found)
  nlohmann::json pods;  // the PodList of its pods
};

// The state of one rank. `cancelled`: skyrun asked to stop this job.
TaskStatus MapVolcanoTaskStatus(const VolcanoTaskRef& ref, const VolcanoObservation& obs, bool cancelled);

// The ranks a rendered Volcano Job declares: its tasks in order, each task's
// pods numbered from the skyrun.io/rank-offset annotation of its template.
std::vector<VolcanoTaskRef> VolcanoJobRanks(const nlohmann::json& job);

// Every rank of the observed job, by rank.
std::vector<TaskStatus> MapVolcanoJobStatus(const VolcanoObservation& obs, bool cancelled);

}  // namespace skyrun
