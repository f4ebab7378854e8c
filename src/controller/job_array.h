// The %N limit of a job array (sbatch --array=0-99%10, issue 15): at most N
// jobs of one array hold a placement at once. The server stores one job per
// index (spec/sbatch_array.h); the controller's scheduling cycle builds an
// ArrayGate from the jobs that hold placements, then offers the scheduler
// only as many queued elements of each array as its limit leaves room for.
//
// An array is keyed by tenant and its first element's job id, so that a job
// can only ever count against (and be held back by) its own tenant's array.
//
// Called by controller/scheduling.cc. Thread-safety: none (one per cycle,
// on the controller's thread).
#pragma once

#include <map>
#include <string>

#include "model/job.h"

namespace skyrun {

class ArrayGate {
 public:
  // "" for a job that is no element of an array with a limit.
  static std::string KeyOf(const JobRecord& rec);

  // A job that holds a placement (starting or running).
  void CountHolding(const JobRecord& rec);

  // Whether one more element of rec's array may be offered now; counted if so.
  // Always true for a job that is no element of a limited array.
  [[nodiscard]] bool Admit(const JobRecord& rec);

  // Why an element waits: "array 17 runs at most 2 at once (%2)".
  static std::string WaitReason(const JobRecord& rec);

 private:
  std::map<std::string, int> counted_;
};

}  // namespace skyrun
