#include "drivers/slurm/sbatch_test_launch.h"

#include <string>

namespace skyrun {

AttemptLaunch SbatchTestLaunch(const JobSpec* spec, int64_t job) {
  AttemptLaunch l;
  l.job_id = JobId(job);
  l.attempt_no = 1;
  l.job_name = spec->name;
  l.tenant = "research";
  l.spec = spec;
  l.job_dir = "/srv/skyrun/jobs/" + std::to_string(job);
  l.checkpoint_dir = l.job_dir + "/checkpoints";
  return l;
}

}  // namespace skyrun
