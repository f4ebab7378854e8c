// An existing Slurm batch script as a job spec (issue 15, item 2):
// `skyrun launch train.sbatch`. A text whose first line is "#!" and whose
// leading comment block holds `#SBATCH` lines is such a script; ParseJobSpecs
// reads it here, so the server stores and re-reads it the same way.
//
// Directives are read as sbatch reads them: from the comment block before the
// first command. Each maps onto the spec (docs/migrating.md, "From Slurm"):
//   -J/--job-name -> name; -N/--nodes and --ntasks-per-node (or -n/--ntasks)
//   -> num_nodes (all tasks) and tasks_per_node; --gres=gpu:TYPE:N and
//   --gpus-per-node=TYPE:N -> accelerators per task; -c/--cpus-per-task ->
//   cpus; --mem -> memory per task; -t/--time -> time_limit.
// --output/--error are accepted and documented as not used (skyrun keeps
// each rank's log); -a/--array is read into JobSpec::array (spec/
// sbatch_array.h: the server stores one job per index, each text ending in a
// line that names its index, read back here); --partition and every other
// directive are refused with their line. The whole script is the job's `run`, and its tasks
// get SLURM_* variables (JobSpec::slurm_env; controller/task_env.cc).
//
// Called by spec_parser.cc only. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/job_spec.h"
#include "spec/spec_parser.h"

namespace skyrun::spec_internal {

// "#!" on the first line and an #SBATCH line before the first command.
bool LooksLikeSbatch(std::string_view text);

// Reads the script into *spec; every problem is appended to *problems.
void ReadSbatchScript(std::string_view text, const std::string& file, const std::string& default_name,
                      JobSpec* spec, std::vector<SpecProblem>* problems);

}  // namespace skyrun::spec_internal
