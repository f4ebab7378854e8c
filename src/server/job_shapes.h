// JobShapes: what the job listings need from a job's spec (its mode and task
// count), parsed once per job and kept, so that GET /v1/jobs does not parse
// every job's YAML again on every read. A spec never changes after
// submission, so an entry never goes stale; the newest `capacity` jobs are
// kept (older ones are parsed again when read, and kept again).
//
// Callers: the API's request threads. Thread-safety: all methods.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>

#include "model/job.h"
#include "store/store.h"

namespace skyrun {

struct JobShape {
  JobMode mode = JobMode::kSingle;
  int num_tasks = 1;
};

class JobShapes {
 public:
  JobShapes(SpecDecoder decoder, size_t capacity = 200'000);

  // Remembers a just-submitted job's shape (its spec was parsed already).
  void Remember(JobId id, const JobSpec& spec);
  // Fills rec.spec's mode and task count (the parts the listings read),
  // parsing rec.spec_yaml only the first time this job is seen.
  void Fill(JobRecord& rec);
  // How many specs were parsed here (tests).
  int64_t parses() const;

 private:
  void Put(JobId id, JobShape shape);

  SpecDecoder decoder_;
  size_t capacity_;
  mutable std::mutex mu_;
  std::map<JobId, JobShape> shapes_;
  int64_t parses_ = 0;
};

}  // namespace skyrun
