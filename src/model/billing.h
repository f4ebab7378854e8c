// What is billed, beyond an attempt's launch price (model/job.h's
// AttemptRecord.hourly_price): a price that changed while a task ran (a spot
// price moves; on-demand keeps its launch price), and data moved between
// places. Written by whoever learns of them (a provisioned-capacity driver, the
// data stager); read by accounting/ to price attempts and build cost reports.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "model/job.h"

namespace skyrun {

// From `at` on, the task (job, attempt_no, rank) costs usd_per_hour.
struct PriceChange {
  JobId job;
  int attempt_no = 1;
  int rank = 0;
  Micros at = 0;
  double usd_per_hour = 0;
};

// `gb` gigabytes moved for the job's attempt at `at`, costing `usd`.
struct EgressCharge {
  JobId job;
  int attempt_no = 1;
  Micros at = 0;
  double gb = 0;
  double usd = 0;
  std::string source;       // "aws/us-east-1"
  std::string destination;  // "gcp/us-central1"
};

// Whose a charge is, for grouping.
struct BillingOwner {
  TenantId tenant;
  std::string tenant_name;
  std::string job_name;
  std::string queue;  // the job's queue (budgets per queue count by it)
};

struct BillableAttempt {
  AttemptRecord attempt;  // one task's attempt
  BillingOwner owner;
};

struct BillableEgress {
  EgressCharge charge;
  BillingOwner owner;
};

// Everything billable that overlaps a period (Store::ListBilling).
struct BillingData {
  std::vector<BillableAttempt> attempts;   // ran during the period (ended_at 0: still running)
  std::vector<PriceChange> price_changes;  // of those attempts, by (job, attempt_no, rank, at)
  std::vector<BillableEgress> egress;      // charged within the period
};

}  // namespace skyrun
