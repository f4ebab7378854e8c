// Slurm's compressed host lists ("node[1-3,5]", "gpu[01-02],login1"), as
// Slurm writes SLURM_JOB_NODELIST and SLURM_NODELIST (issue 15): names that
// differ only in a trailing number share a bracket of ranges, zero padding
// kept; groups sorted by prefix, numbers ascending, duplicates dropped.
//
// Called by controller/task_env.cc. Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

namespace skyrun {

std::string SlurmHostList(const std::vector<std::string>& hosts);

}  // namespace skyrun
