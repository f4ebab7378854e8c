// The attempt the sbatch renderer's tests start from (sbatch_render_test.cc,
// sbatch_volumes_test.cc): job `job` of tenant "research" in
// /srv/skyrun/jobs/<job>, attempt 1, its checkpoints beside it, no tasks yet.
// Test-only. Thread-safety: a pure function.
#pragma once

#include <cstdint>

#include "drivers/driver.h"
#include "model/job_spec.h"

namespace skyrun {

AttemptLaunch SbatchTestLaunch(const JobSpec* spec, int64_t job);

}  // namespace skyrun
