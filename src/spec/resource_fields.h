// Readers for the parts of a job spec that describe what a task needs and
// where it may run: `resources` (of the job and of each ps-worker role), and
// the shapes of place names (`infra`, and inputs/outputs `location`).
// Called by job_fields.cc only. Thread-safety: see FieldReader.
#pragma once

#include <string>

#include "model/job_spec.h"
#include "spec/field_reader.h"
#include "spec/skypilot_fields.h"

namespace skyrun::spec_internal {

inline constexpr int kMaxGpusPerTask = 64;
inline constexpr int64_t kMaxCpusMilli = 1'000'000LL * 1000;  // a million CPUs: beyond any node
inline constexpr int64_t kMaxMemoryMiB = 1LL << 30;           // 1 PiB

// Reads a `resources` map into *out (which keeps its defaults for fields not
// set), reporting every problem, including gpu_milli with a multi-GPU count.
// SkyPilot's resource fields are read too (skypilot_fields.h); those that
// describe the whole job land in *job, which is needed at kJob and kChoice.
void ReadResources(FieldReader& reader, const Field& field, ResourceRequest* out,
                   ResourceScope scope = ResourceScope::kRole, JobSpec* job = nullptr);

// True if `place` has the shape of a place in `infra`: "local", a kind of
// backend or a cloud ("slurm" = every Slurm cluster, "aws"), "<kind>/<name>"
// (slurm/hpc1, kubernetes/prod) or "<cloud>/<region>" (aws/us-east-1).
bool IsInfraPlace(const std::string& place);
// True if `place` has the shape of a data location: "local" or "<cloud>/<region>".
bool IsDataLocation(const std::string& place);
// The sentences that say what each accepts, for messages.
const char* InfraPlaceHelp();
const char* DataLocationHelp();

}  // namespace skyrun::spec_internal
