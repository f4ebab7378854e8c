// Cost reports: what was spent over a period, by job, tenant, provider or
// queue,
// from the store's billing data (Store::ListBilling): every task attempt that
// ran during the period, priced per second at the price in force in each
// interval (cost.h), plus the egress charged in it. A running attempt counts
// up to `now`. Registered clusters are providers at their internal prices
// (the backend name: "local", "slurm/hpc1"); a cloud attempt's provider is
// the first part of its backend name.
//
// Callers: the API's GET /v1/cost-report; `skyrun cost-report` prints it.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/billing.h"
#include "nlohmann/json.hpp"

namespace skyrun {

enum class CostGroup { kJob, kTenant, kProvider, kQueue };
const char* CostGroupName(CostGroup g);
std::optional<CostGroup> ParseCostGroup(const std::string& s);

struct CostLine {
  std::string key;    // "12" (job id), "team-a", "slurm/hpc1"
  std::string label;  // job: its name and tenant; tenant, provider: as key
  double compute_usd = 0;
  double egress_usd = 0;
  double egress_gb = 0;
  double task_hours = 0;  // task run time inside the period
  int attempts = 0;       // distinct (job, attempt) with a task inside the period
  double total_usd() const { return compute_usd + egress_usd; }
};

struct CostReport {
  Micros from = 0;
  Micros to = 0;
  CostGroup by = CostGroup::kJob;
  std::vector<CostLine> lines;  // most expensive first, then by key
  double compute_usd = 0;
  double egress_usd = 0;
  double total_usd() const { return compute_usd + egress_usd; }
};

// The provider a backend bills as: "local" -> "local", "slurm/hpc1" ->
// "slurm/hpc1", "kubernetes/prod" -> "kubernetes/prod", "simcloud/aws" -> "aws".
std::string ProviderOfBackend(const std::string& backend);

CostReport BuildCostReport(const BillingData& data, Micros from, Micros to, Micros now, CostGroup by);

nlohmann::json CostReportToJson(const CostReport& report);

}  // namespace skyrun
