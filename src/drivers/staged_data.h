// What only the local pool can do with a job's data yet: stage object-storage
// inputs and outputs that name a path inside the task (storage/object_staging.h).
// The Slurm and Kubernetes drivers call RefuseStagedData from CanRun, so such a
// job is refused at submission with the reason instead of running without its
// data. Thread-safety: a pure function.
#pragma once

#include <string>

#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun {

inline Status RefuseStagedData(const std::string& backend, const JobSpec& spec) {
  for (const auto* refs : {&spec.inputs, &spec.outputs}) {
    for (const DataRef& ref : *refs) {
      if (!ref.path.empty()) {
        return FailedPrecondition(
            backend + " cannot stage " + ref.uri +
            " into a task yet (inputs/outputs with a path); run the job on the local pool");
      }
    }
  }
  return Status::Ok();
}

}  // namespace skyrun
