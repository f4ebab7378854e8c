// Budgets at the API: GET /v1/budgets (what each budget has spent in its
// window and what is left; budget/ledger.h), PUT /v1/budgets (a platform
// admin replaces them live; budget/budget_book.h), and the submission check
// that refuses a job whose estimated cost exceeds what is left of its
// tenant's or its queue's budget (budget/estimate.h) — or, with
// `on_exceed: hold`, accepts it for the controller to hold (budget/hold.h).
// A platform admin sees every budget and its changes; anyone else their own
// tenant's and the queues'.
//
// Who calls it: server.cc (the routes and Submit). Thread-safety: stateless
// functions over the thread-safe Store and BudgetBook.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "budget/budget_book.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/job_spec.h"
#include "model/node.h"
#include "store/store.h"

namespace skyrun {

struct BudgetOptions {
  BudgetBook* book = nullptr;  // the budgets in force (not owned); null: none
  // The time limits a job without its own gets (as the controller applies
  // them): by queue, else the server's default.
  std::map<std::string, int64_t> queue_time_limits;
  std::optional<int64_t> default_time_limit_seconds;
};

// {"budgets": [BudgetUse...], "on_exceed": "refuse", "version": N}, tenants
// first, by name; a platform admin also gets "changes" (who changed them, when, from what to what).
Result<nlohmann::json> BudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                 Micros now);

// PUT /v1/budgets: `body` is the whole `budgets:` section as JSON
// ({"on_exceed": "hold", "tenants": {"a": {"usd": 100, "period": "30d"}},
// "queues": {...}}), validated as the config is, and replaces the budgets in
// force. A platform admin only (PermissionDenied otherwise). Returns what
// GET /v1/budgets then shows.
Result<nlohmann::json> ReplaceBudgetsAs(Store& store, const TokenRecord& who, const BudgetOptions& options,
                                        const std::string& body, Micros now);

// OK when no budget applies to the job (tenant `tenant_name`, its queue), or
// its estimate fits what is left of each that does, or the budgets hold
// (on_exceed: hold: the controller keeps it queued); ResourceExhausted with
// the figures otherwise; InvalidArgument when a budgeted job has no time
// limit. `nodes` are what the estimate prices the job on.
Status CheckBudgetAdmission(Store& store, const BudgetOptions& options, const JobSpec& spec,
                            const std::string& tenant_name, const std::vector<Node>& nodes, Micros now);

}  // namespace skyrun
