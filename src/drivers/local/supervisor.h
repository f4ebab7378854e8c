// The supervisor: `skyrun supervise <task_dir>`, one detached process per
// local task, started by LocalDriver::Launch. It owns the task from claim to
// exit.json (file layout in task_files.h):
//
//   1. takes the flock on <task_dir>/lock (held for its whole life: liveness),
//   2. claims the task (claim file, exclusive); if someone claimed or voided
//      it first it exits 0 at once, so a task never starts twice,
//   3. runs setup, then run (each `task.json` argv in a new process group it
//      owns, cwd and clean env from task.json, output appended to output.log),
//      writing `started` right after the first fork,
//   4. on SIGTERM (Cancel) or at the time limit: SIGTERM to the group, SIGKILL
//      after the grace period; when the main process ends, SIGKILL to what is
//      left of the group (it is a child subreaper, so it reaps the orphans),
//   5. writes exit.json atomically and exits.
// With cgroup v2 (task.json limits.cgroup_parent set) the task runs in its own
// cgroup with cpu.max and memory.max.
//
// Called once per process, from the CLI (`skyrun supervise`) or the test
// helper binary; it blocks signals and forks, so never call it inside a
// multi-threaded process.
#pragma once

#include <string>

#include "common/clock.h"

namespace skyrun {

// Supervises the task in `task_dir` to its end. `clock` stamps started/exit
// times and measures the grace period and time limit. Returns the process
// exit status: 0 when the task was supervised to its end (whatever its own
// exit code) or was already owned by someone else; non-zero when the
// supervisor itself could not work (details in its stderr).
int RunSupervisor(const std::string& task_dir, Clock& clock);

}  // namespace skyrun
