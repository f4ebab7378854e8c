// Budgets at the API: GET /v1/budgets (what each budget has spent in its
// window and what is left; budget/ledger.h) and the submission check that
// refuses a job whose estimated cost exceeds what is left of its tenant's or
// its queue's budget (budget/estimate.h). A platform admin sees every
// budget; anyone else their own tenant's and the queues'.
//
// Who calls it: server.cc (the route and Submit). Thread-safety: stateless
// functions over the thread-safe Store; the options are read only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "budget/budget_config.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "store/store.h"

namespace skyrun {

struct BudgetOptions {
  BudgetSettings settings;
  // The time limits a job without its own gets (as the controller applies
  // them): by queue, else the server's default.
  std::map<std::string, int64_t> queue_time_limits;
  std::optional<int64_t> default_time_limit_seconds;
};

// {"budgets": [BudgetUse...], "on_exceed": "refuse"}, tenants first, by name.
Result<nlohmann::json> BudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                 Micros now);

// OK when no budget applies to the job (tenant `tenant_name`, its queue), or
// its estimate fits what is left of each that does; ResourceExhausted with
// the figures otherwise; InvalidArgument when a budgeted job has no time
// limit. `nodes` are what the estimate prices the job on.
Status CheckBudgetAdmission(Store& store, const BudgetOptions& options, const JobSpec& spec,
                            const std::string& tenant_name, const std::vector<Node>& nodes, Micros now);

}  // namespace skyrun
