#include "drivers/kubernetes/volcano_status.h"

#include <algorithm>
#include <initializer_list>

#include "common/strings.h"
#include "drivers/kubernetes/kube_quantity.h"

namespace skyrun {
namespace {

using Json = nlohmann::json;

// Walks objects by key; nullptr where a key is missing or a value is not an object.
const Json* Find(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string Str(const Json& j, std::initializer_list<const char*> path) {
  const Json* v = Find(j, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

int64_t Int(const Json& j, std::initializer_list<const char*> path, int64_t fallback) {
  const Json* v = Find(j, path);
  if (v && v->is_number_integer()) return v->get<int64_t>();
  if (v && v->is_string()) {
    if (auto parsed = ParseInt64(v->get<std::string>())) return *parsed;
  }
  return fallback;
}

Micros Time(const Json& j, std::initializer_list<const char*> path) {
  auto t = ParseRfc3339(Str(j, path));
  return t.ok() ? *t : 0;
}

const char* SignalName(int sig) {
  switch (sig) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 9: return "SIGKILL";
    case 11: return "SIGSEGV";
    case 15: return "SIGTERM";
    default: return nullptr;
  }
}

// "exit code 139 (killed by SIGSEGV)".
std::string ExitReason(int code) {
  std::string out = "exit code " + std::to_string(code);
  if (code > 128 && code < 160) {
    const char* name = SignalName(code - 128);
    out += name ? std::string(" (killed by ") + name + ")"
                : " (killed by signal " + std::to_string(code - 128) + ")";
  }
  return out;
}

std::string WithDetail(std::string head, const std::string& detail) {
  std::string d = Trim(detail);
  if (!d.empty()) head += ": " + d;
  return head;
}

const Json* ConditionOf(const Json& pod, const char* type) {
  const Json* conds = Find(pod, {"status", "conditions"});
  if (!conds || !conds->is_array()) return nullptr;
  for (const auto& c : *conds)
    if (Str(c, {"type"}) == type) return &c;
  return nullptr;
}

// The container of the task: the one named like the task, else the first.
const Json* ContainerStatus(const Json& pod, const std::string& task) {
  const Json* list = Find(pod, {"status", "containerStatuses"});
  if (!list || !list->is_array() || list->empty()) return nullptr;
  for (const auto& c : *list)
    if (Str(c, {"name"}) == task) return &c;
  return &list->front();
}

std::string MemoryLimit(const Json& pod) {
  const Json* containers = Find(pod, {"spec", "containers"});
  if (!containers || !containers->is_array() || containers->empty()) return "";
  std::string limit = Str(containers->front(), {"resources", "limits", "memory"});
  auto mib = ParseKubeQuantityMiB(limit);
  return mib.ok() ? std::to_string(*mib) + " MiB" : limit;
}

// What a pod's status says beyond its state.
struct PodFacts {
  // Its container was stopped by SIGKILL or SIGTERM from outside (not the
  // kernel's OOM killer), as Volcano does when it stops a job.
  bool killed = false;
  bool evicted = false;  // evicted or preempted: Volcano's PodEvicted event
};

// The state a pod shows on its own, before the Job's phase is considered.
TaskStatus MapPod(const Json& pod, const VolcanoTaskRef& ref, PodFacts* facts) {
  TaskStatus s;
  s.rank = ref.rank;
  const std::string phase = Str(pod, {"status", "phase"});
  const std::string pod_reason = Str(pod, {"status", "reason"});
  const std::string pod_message = Str(pod, {"status", "message"});
  const std::string node = Str(pod, {"spec", "nodeName"});
  const Json* cs = ContainerStatus(pod, ref.task);
  const Json empty = Json::object();
  const Json& c = cs ? *cs : empty;
  s.started_at = Time(c, {"state", "running", "startedAt"});
  if (!s.started_at) s.started_at = Time(c, {"state", "terminated", "startedAt"});
  if (!s.started_at && phase != "Pending") s.started_at = Time(pod, {"status", "startTime"});
  s.ended_at = Time(c, {"state", "terminated", "finishedAt"});

  if (phase == "Pending") {
    const std::string waiting = Str(c, {"state", "waiting", "reason"});
    const std::string waiting_msg = Str(c, {"state", "waiting", "message"});
    if (waiting == "InvalidImageName" || waiting == "ErrImageNeverPull" ||
        waiting == "CreateContainerConfigError" || waiting == "CreateContainerError") {
      s.state = RunState::kFailed;
      s.reason = WithDetail("the container cannot start (" + waiting + ")", waiting_msg);
      return s;
    }
    if (waiting == "ErrImagePull" || waiting == "ImagePullBackOff") {
      s.state = RunState::kLaunching;
      s.reason = WithDetail("pulling the image failed, Kubernetes retries (" + waiting + ")", waiting_msg);
      return s;
    }
    const Json* scheduled = ConditionOf(pod, "PodScheduled");
    if (scheduled && Str(*scheduled, {"status"}) == "True") {
      s.state = RunState::kLaunching;
      s.reason = waiting.empty() ? "scheduled on " + node + ", starting" : waiting + " on " + node;
    } else {
      s.state = RunState::kPending;
      s.reason = scheduled ? WithDetail("waiting to be scheduled", Str(*scheduled, {"message"}))
                           : "waiting to be scheduled";
    }
    return s;
  }
  if (phase == "Running") {
    s.state = RunState::kRunning;
    s.reason = "running on " + node;
    return s;
  }
  if (phase == "Succeeded") {
    s.state = RunState::kSucceeded;
    s.exit_code = 0;
    s.reason = "exit code 0";
    return s;
  }
  if (phase == "Failed") {
    const Json* disruption = ConditionOf(pod, "DisruptionTarget");
    if (pod_reason == "Evicted" || pod_reason == "Preempting" ||
        (disruption && Str(*disruption, {"status"}) == "True")) {
      s.state = RunState::kLost;
      facts->evicted = true;
      std::string why = !pod_reason.empty() ? pod_reason : Str(*disruption, {"reason"});
      std::string detail = !pod_message.empty() ? pod_message
                           : disruption         ? Str(*disruption, {"message"})
                                                : "";
      s.reason = WithDetail("evicted from node " + node + " (" + why + ")", detail);
      return s;
    }
    if (pod_reason == "DeadlineExceeded") {
      s.state = RunState::kKilled;
      s.reason = WithDetail("stopped at the job's time limit (DeadlineExceeded)", pod_message);
      return s;
    }
    const Json* term = Find(c, {"state", "terminated"});
    if (term) {
      int code = static_cast<int>(Int(*term, {"exitCode"}, -1));
      const std::string reason = Str(*term, {"reason"});
      s.state = RunState::kFailed;
      if (code >= 0) s.exit_code = code;
      facts->killed = (code == 137 || code == 143) && reason != "OOMKilled";
      if (reason == "OOMKilled") {
        std::string limit = MemoryLimit(pod);
        s.reason = "OOMKilled: the task used more memory than its limit" +
                   (limit.empty() ? "" : " of " + limit) + "; ask for more memory in resources.memory";
      } else {
        s.reason = code >= 0 ? ExitReason(code) : "the container failed";
        if (!reason.empty() && reason != "Error" && reason != "Completed") s.reason += " (" + reason + ")";
      }
      return s;
    }
    s.state = RunState::kFailed;
    s.reason =
        WithDetail("the pod failed" + (pod_reason.empty() ? "" : " (" + pod_reason + ")"), pod_message);
    return s;
  }
  if (phase == "Unknown") {
    s.state = RunState::kLost;
    s.reason = "the node " + node + " stopped reporting (pod phase Unknown)";
    return s;
  }
  s.state = RunState::kPending;
  s.reason = "pod phase '" + phase + "' not yet known";
  return s;
}

const Json* FindPod(const VolcanoObservation& obs, const std::string& name, int64_t job_version) {
  const Json* items = Find(obs.pods, {"items"});
  if (!items || !items->is_array()) return nullptr;
  for (const auto& pod : *items) {
    if (Str(pod, {"metadata", "name"}) != name) continue;
    // A pod left from before a Volcano restart belongs to an older job version.
    int64_t version = Int(pod, {"metadata", "annotations", "volcano.sh/job-version"}, job_version);
    if (version < job_version) return nullptr;
    return &pod;
  }
  return nullptr;
}

// Whether Volcano will restart the whole job after an eviction: a
// PodEvicted -> RestartJob policy with restarts left (maxRetry, default 3).
bool RestartsOnEviction(const Json& job, int64_t retries) {
  const Json* policies = Find(job, {"spec", "policies"});
  if (!policies || !policies->is_array()) return false;
  for (const auto& p : *policies) {
    bool on_eviction = Str(p, {"event"}) == "PodEvicted";
    const Json* events = Find(p, {"events"});
    if (events && events->is_array())
      for (const auto& e : *events) on_eviction = on_eviction || (e.is_string() && e == "PodEvicted");
    if (on_eviction && Str(p, {"action"}) == "RestartJob") return retries < Int(job, {"spec", "maxRetry"}, 3);
  }
  return false;
}

std::string JobStateDetail(const Json& job) {
  std::string reason = Str(job, {"status", "state", "reason"});
  std::string message = Str(job, {"status", "state", "message"});
  if (!reason.empty() && !message.empty()) return reason + ": " + message;
  return reason + message;
}

}  // namespace

TaskStatus MapVolcanoTaskStatus(const VolcanoTaskRef& ref, const VolcanoObservation& obs, bool cancelled) {
  TaskStatus s;
  s.rank = ref.rank;
  const std::string where = ref.k8s_namespace + "/" + ref.job;
  if (!obs.job_found) {
    if (cancelled) {
      s.state = RunState::kKilled;
      s.reason = "cancelled: the Volcano job " + where + " was deleted";
    } else {
      s.state = RunState::kLost;
      s.reason = "the Volcano job " + where +
                 " no longer exists (deleted outside skyrun, or removed after its ttlSecondsAfterFinished)";
    }
    return s;
  }
  const Json& job = obs.job;
  const std::string phase = Str(job, {"status", "state", "phase"});
  const std::string detail = JobStateDetail(job);
  const int64_t version = Int(job, {"status", "version"}, 0);
  const int64_t retries = Int(job, {"status", "retryCount"}, 0);
  const bool stopping =
      phase == "Aborting" || phase == "Aborted" || phase == "Terminating" || phase == "Terminated";
  const bool completing = phase == "Completing" || phase == "Completed";
  const std::string restarting =
      WithDetail("Volcano is restarting the whole job (restart " + std::to_string(retries) + ")", detail);
  const std::string stopped =
      cancelled ? "cancelled" : WithDetail("stopped with the rest of the job: Volcano job " + phase, detail);

  if (const Json* pod = FindPod(obs, ref.PodName(), version)) {
    PodFacts facts;
    s = MapPod(*pod, ref, &facts);
    const bool deleting = Find(*pod, {"metadata", "deletionTimestamp"}) != nullptr;
    // Pods Volcano stopped on purpose: their exit is the job's doing, not theirs.
    if ((s.state == RunState::kFailed && facts.killed) || (deleting && !IsTerminal(s.state))) {
      if (completing) {
        if (IsTerminal(s.state)) {
          s.state = RunState::kSucceeded;
          s.reason = "stopped by Volcano when the job completed (" + s.reason + ")";
        }
      } else if (phase == "Restarting") {
        s.state = RunState::kPending;
        s.reason = restarting;
      } else if (stopping && IsTerminal(s.state)) {
        s.state = RunState::kKilled;
        s.reason = stopped + " (" + s.reason + ")";
      }
    } else if (facts.evicted && (phase == "Restarting" || (!stopping && !completing && phase != "Failed" &&
                                                           RestartsOnEviction(job, retries)))) {
      // Volcano restarts the gang itself (PodEvicted -> RestartJob): not lost yet.
      s.state = RunState::kPending;
      s.reason = phase == "Restarting" ? restarting : s.reason + "; Volcano restarts the whole job";
    }
    return s;
  }

  // No (current) pod for this rank: the Job's phase says why.
  if (phase == "Completing" || phase == "Completed") {
    s.state = RunState::kSucceeded;
    s.reason = "the Volcano job completed";
  } else if (stopping) {
    s.state = RunState::kKilled;
    s.reason = stopped;
  } else if (phase == "Failed") {
    // Volcano fails a job when its own restarts (after evictions) run out.
    s.state = RunState::kLost;
    s.reason =
        WithDetail("Volcano gave up on the job after " + std::to_string(retries) + " restarts", detail);
  } else if (phase == "Restarting") {
    s.state = RunState::kPending;
    s.reason = restarting;
  } else if (phase == "Pending") {
    s.state = RunState::kPending;
    s.reason = WithDetail(
        "waiting for Volcano to admit the whole gang (queue " + Str(job, {"spec", "queue"}) + ")", detail);
  } else {
    s.state = RunState::kPending;
    s.reason =
        phase.empty() ? "waiting for Volcano to accept the job" : "waiting for Volcano to create the pod";
  }
  return s;
}

std::vector<VolcanoTaskRef> VolcanoJobRanks(const nlohmann::json& job) {
  std::vector<VolcanoTaskRef> out;
  const Json* tasks = Find(job, {"spec", "tasks"});
  if (!tasks || !tasks->is_array()) return out;
  int next = 0;
  for (const auto& t : *tasks) {
    int replicas = static_cast<int>(std::max<int64_t>(0, Int(t, {"replicas"}, 0)));
    int offset =
        static_cast<int>(Int(t, {"template", "metadata", "annotations", "skyrun.io/rank-offset"}, next));
    for (int i = 0; i < replicas; ++i) {
      VolcanoTaskRef ref;
      ref.k8s_namespace = Str(job, {"metadata", "namespace"});
      ref.job = Str(job, {"metadata", "name"});
      ref.task = Str(t, {"name"});
      ref.index = i;
      ref.rank = offset + i;
      out.push_back(ref);
    }
    next = offset + replicas;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return out;
}

std::vector<TaskStatus> MapVolcanoJobStatus(const VolcanoObservation& obs, bool cancelled) {
  std::vector<TaskStatus> out;
  for (const auto& ref : VolcanoJobRanks(obs.job)) out.push_back(MapVolcanoTaskStatus(ref, obs, cancelled));
  return out;
}

}  // namespace skyrun
