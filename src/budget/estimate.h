// What a job is expected to cost, for budget admission: how long it may run
// (its spec's time limit; else the default the caller gives, its queue's or
// the server's; else its deadline) times the hourly price of the cheapest placement among the nodes
// the server knows (registered clusters at their internal prices, running
// cloud instances at theirs). Each task is priced on the cheapest node that
// could hold it alone, so the figure is a lower bound of what any real
// placement costs: a job refused on it cannot fit its budget anywhere.
//
// Callers: budget admission (admission.h). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accounting/cost.h"
#include "common/status.h"
#include "model/job_spec.h"
#include "model/node.h"

namespace skyrun {

struct CostEstimate {
  double usd = 0;
  int64_t seconds = 0;    // how long it may run
  double hourly_usd = 0;  // the cheapest placement's price per hour
  bool priced = false;    // false: no known node can hold a task (nothing to price it by)
  std::string basis;      // "2h (time_limit) x $6.12/h (GPU V100:2 on local at ...)"
};

// InvalidArgument when there is no limit to multiply by (no time limit,
// no default, no deadline): a budgeted job must say how long it may run.
Result<CostEstimate> EstimateJobCost(const JobSpec& spec, std::optional<int64_t> default_time_limit_seconds,
                                     const std::vector<Node>& nodes);

}  // namespace skyrun
