// What a task's attempt costs: its launch price (AttemptRecord.hourly_price)
// from when it started, each recorded price change (model/billing.h) from its
// time on, until it ended (or `now` while it runs), billed per second of the
// intervals that fall inside the period asked about. On-demand capacity keeps
// its launch price (no changes are recorded for it); a spot price that moves
// while the instance runs is billed at the new price from the change on.
//
// Callers: the follower fixes an attempt's cost when it ends; cost reports
// (report.h) price every attempt that overlaps their period. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/money.h"  // FormatUsd, for this module's users
#include "model/billing.h"
#include "model/job.h"

namespace skyrun {

// Whole seconds billed for a run of `micros` (a started second is billed).
int64_t BilledSeconds(Micros micros);

// USD for the task's attempt within [from, to). `changes` are that task's
// (same job, attempt_no and rank; others are ignored), in any order. A task
// that has not started costs nothing; one still running is billed to `now`.
double AttemptCost(const AttemptRecord& attempt, const std::vector<PriceChange>& changes, Micros from,
                   Micros to, Micros now);

// Its whole run: AttemptCost over all time.
double WholeAttemptCost(const AttemptRecord& attempt, const std::vector<PriceChange>& changes, Micros now);

}  // namespace skyrun
