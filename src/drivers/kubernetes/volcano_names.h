// Names on the Kubernetes side of the Volcano backend: DNS-1123 sanitising of
// job and role names, the Volcano Job and pod names of an attempt, label
// values, and the driver handle that finds one task again after a restart.
//
// Volcano names a task's pods "<job>-<task>-<index>"; with its svc plugin each
// pod's hostname is its name and its subdomain the job's headless Service, so
// "<job>-<task>-<index>.<job>" resolves inside the namespace. Pod hostnames are
// DNS labels (at most 63 characters) and the Service name must start with a
// letter, so the job name is cut to leave room for the longest pod suffix.
//
// Called by the renderer, the status mapping and the driver.
// Thread-safety: pure functions and plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skyrun {

constexpr size_t kDnsLabelMax = 63;

// Lower-case, [a-z0-9-] only, runs of other characters become one '-', no
// leading or trailing '-', at most max_len characters. May return "".
std::string SanitizeDnsLabel(std::string_view s, size_t max_len = kDnsLabelMax);

// A label value: [A-Za-z0-9._-], at most 63, starting and ending alphanumeric.
std::string SanitizeLabelValue(std::string_view s);

bool IsDnsLabel(std::string_view s);  // RFC 1123 label, at most 63 characters

// The Volcano Job name of one attempt: "<name>-<job id>-a<attempt>", where
// <name> is the sanitised job name (prefixed "job-" if it would not start with
// a letter), cut so that "<job>-<longest task>-<largest index>" stays a DNS label.
std::string VolcanoJobName(std::string_view job_name, int64_t job_id, int attempt_no,
                           std::string_view longest_task_name, int max_replicas);

// "<job>-<task>-<index>": Volcano's pod name (and, with the svc plugin, hostname).
std::string VolcanoPodName(std::string_view job, std::string_view task, int index);
// "<job>-<task>-<index>.<job>": the pod's DNS name inside the namespace.
std::string VolcanoPodDnsName(std::string_view job, std::string_view task, int index);

// Where one task of an attempt lives in the cluster.
struct VolcanoTaskRef {
  std::string k8s_namespace;
  std::string job;       // Volcano Job name
  std::string task;      // Volcano task name (the role, sanitised)
  int index = 0;         // pod index within the task
  int rank = 0;          // skyrun rank
  std::string task_dir;  // the task's directory on the server (logs are copied there); may be ""

  std::string PodName() const { return VolcanoPodName(job, task, index); }
};

// Handle: "volcano:<namespace>/<job>/<task>/<index>/<rank>:<task_dir>".
std::string FormatVolcanoHandle(const VolcanoTaskRef& ref);
Result<VolcanoTaskRef> ParseVolcanoHandle(std::string_view handle);

}  // namespace skyrun
