// `skyrun plan FILE [--catalog DIR] [-o json] [--hours H] [--max-plans N]`:
// the ranked plans for a job or a pipeline over a catalog, without a server.
// The logic only: src/cli/plan_commands.cc parses the arguments (CLI11).
// The spec is read with the broker's fields (use_spot, max_hourly_cost,
// budget, objective, inputs, outputs) that submission still refuses.
// Thread-safety: run from main() only.
#pragma once

#include <iosfwd>
#include <string>

namespace skyrun {

struct PlanCliOptions {
  std::string file;         // the spec; "-" reads `in`
  std::string catalog_dir;  // empty: the built-in catalog
  bool json = false;
  double hours = 1;  // runtime estimate per stage, on demand
  int max_plans = 10;
};

// Exit status: 0 plans found, 1 no plan (the reason on `out`) or a catalog
// or request error (on `err`), 2 the spec has problems (one per line on `err`).
// Text: a table of the ranked plans and why the best won. JSON:
// {"objective", "solver", "plans": [{rank, provider, region, zone, zones,
// instance_type, accelerator, accelerator_count, instances, use_spot,
// hourly_price, est_cost, est_time_s, egress_cost, compute_cost, stages}],
// "explanation", "stages": [{stage, offers, candidates, excluded: {...}}]}.
int RunPlan(const PlanCliOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace skyrun
