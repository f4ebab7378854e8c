// Ctrl-C during `skyrun launch`: the job is the server's, not the client's, so
// interrupting the client must not look like cancelling the job. Like
// SkyPilot and Slurm's srun, the client says the job goes on, how to follow it
// and how to cancel it, and exits 130 (128 + SIGINT).
//
// Who calls it: cli/commands.cc (Launch). Thread-safety: process-wide, by
// nature of signal dispositions; call from the main thread only.
#pragma once

#include <cstdint>
#include <string>

namespace skyrun {

// Catches SIGINT from now on (unless it was inherited as ignored, as in a
// background job of a script): until ArmInterruptHint, a Ctrl-C is only
// remembered, so that a submission in flight still returns its job id.
void CatchInterrupts();

// From now on a Ctrl-C writes the hint for `job_id` to stderr and exits 130.
// `client_flags` (e.g. " --server http://h:1") are repeated in the commands
// the hint suggests. If a Ctrl-C came before this call, acts on it at once.
void ArmInterruptHint(int64_t job_id, const std::string& client_flags);

// The job has ended: from now on a Ctrl-C stops the client as usual, with
// nothing to say (the hint would claim the job goes on).
void DisarmInterruptHint();

// Whether a Ctrl-C was caught (before the hint was armed).
bool Interrupted();

// The hint text, for tests and for the unarmed case.
std::string InterruptHint(int64_t job_id, const std::string& client_flags);

}  // namespace skyrun
