// `squeue --json`: every job slurmctld still holds (pending, running and,
// until MinJobAge, finished), in one document. The Slurm driver's PollMany
// reads it once for all of skyrun's jobs instead of one squeue per rank.
//
// Shapes read: Slurm 22.05 (data_parser v0.0.38: job_state a string,
// exit_code the wait status as an integer, times as epoch seconds) and the
// later one (job_state a list of flags, exit_code {status, return_code,
// signal}, times {set, infinite, number}). In 22.05 `--json` ignores -j and
// the other filters, so the caller picks its jobs from the whole list.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "drivers/slurm/slurm_parse.h"

namespace skyrun {

// The jobs of the document by Slurm job id ("42"). InvalidArgument when it is
// not squeue's JSON (an older squeue prints its usage instead), or when squeue
// reported errors in it.
Result<std::map<std::string, SlurmJobInfo>> ParseSqueueJson(const std::string& text);

}  // namespace skyrun
