#include "optimizer/plan_cli.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/catalog.h"
#include "catalog/offers_cli.h"
#include "common/text_table.h"
#include "optimizer/market_catalog.h"
#include "optimizer/optimizer.h"
#include "optimizer/roles_plan.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

std::string Fixed(double v, int precision) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(precision) << v;
  return s.str();
}

std::string Duration(double seconds) {
  if (seconds < 3600) return Fixed(seconds / 60, 1) + " min";
  return Fixed(seconds / 3600, 2) + " h";
}

std::string Where(const Candidate& c) {
  std::string w = c.offer->provider + "/" + c.offer->region;
  if (!c.offer->zone.empty()) w += "/" + c.offer->zone;
  if (c.zones.size() > 1) w += " (+" + std::to_string(c.zones.size() - 1) + " zones)";
  return w;
}

std::string Instance(const Candidate& c) {
  std::string what = c.offer->instance_type.empty() ? "-" : c.offer->instance_type;
  if (c.offer->accelerator_count > 0)
    what += " [" + c.offer->accelerator + ":" + std::to_string(c.offer->accelerator_count) + "]";
  if (c.instances > 1) what = std::to_string(c.instances) + " x " + what;
  return what;
}

// The first row is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  Table t(rows.front());
  for (size_t i = 1; i < rows.size(); ++i) t.AddRow(rows[i]);
  t.Print(out);
}

nlohmann::json StageJson(const StagePlan& s) {
  const Candidate& c = s.candidate;
  return {{"stage", s.stage},
          {"provider", c.offer->provider},
          {"region", c.offer->region},
          {"zone", c.offer->zone},
          {"zones", c.zones},
          {"instance_type", c.offer->instance_type},
          {"accelerator", c.offer->accelerator},
          {"accelerator_count", c.offer->accelerator_count},
          {"instances", c.instances},
          {"num_nodes", c.num_nodes},
          {"use_spot", c.spot},
          {"hourly_price", c.hourly_price},
          {"est_cost", s.cost},
          {"est_time_s", s.time_s},
          {"egress_cost", s.egress_cost},
          {"compute_cost", s.compute_cost},
          {"expected_revocations", c.revocations}};
}

nlohmann::json ResultJson(const PlanResult& r) {
  nlohmann::json plans = nlohmann::json::array();
  for (size_t i = 0; i < r.plans.size(); ++i) {
    const Plan& p = r.plans[i];
    // A plan reads like its first stage; a pipeline's totals replace the stage's figures.
    nlohmann::json j = StageJson(p.stages[0]);
    j.erase("stage");
    j.erase("expected_revocations");
    j["rank"] = i + 1;
    j["hourly_price"] = p.hourly_price;
    j["est_cost"] = p.est_cost;
    j["est_time_s"] = p.est_time_s;
    j["egress_cost"] = p.egress_cost;
    j["compute_cost"] = p.est_cost - p.egress_cost;
    nlohmann::json stages = nlohmann::json::array();
    for (const StagePlan& s : p.stages) stages.push_back(StageJson(s));
    j["stages"] = std::move(stages);
    plans.push_back(std::move(j));
  }
  nlohmann::json stats = nlohmann::json::array();
  for (const StageStats& s : r.stages) {
    stats.push_back({{"stage", s.stage},
                     {"offers", s.stats.offers},
                     {"candidates", s.candidates},
                     {"excluded",
                      {{"resources", s.stats.resources},
                       {"infra", s.stats.infra},
                       {"requirements", s.stats.requirements},
                       {"max_hourly_cost", s.stats.max_hourly_cost},
                       {"spot_unfinishable", s.stats.spot_unfinishable},
                       {"too_few_nodes", s.stats.too_few_nodes}}}});
  }
  return {{"objective", r.objective == PlanObjective::kCost ? "cost" : "time"},
          {"solver", r.chain ? "chain-dp" : "branch-and-bound"},
          {"plans", std::move(plans)},
          {"explanation", r.explanation},
          {"stages", std::move(stats)}};
}

void PrintText(const PlanResult& r, std::ostream& out) {
  bool pipeline = r.plans.empty() ? r.stages.size() > 1 : r.plans[0].stages.size() > 1;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"PLAN"};
  if (pipeline) header.push_back("STAGE");
  for (const char* h : {"WHERE", "INSTANCE", "SPOT", "$/H", "EST. COST", "EST. TIME", "EGRESS"})
    header.push_back(h);
  // The count chosen of a num_nodes range, after INSTANCE.
  const size_t nodes_at = pipeline ? 4 : 3;
  if (r.node_ranges) header.insert(header.begin() + static_cast<std::ptrdiff_t>(nodes_at), "NODES");
  rows.push_back(header);
  for (size_t i = 0; i < r.plans.size(); ++i) {
    const Plan& p = r.plans[i];
    for (size_t s = 0; s < p.stages.size(); ++s) {
      const StagePlan& sp = p.stages[s];
      std::vector<std::string> row = {s == 0 ? std::to_string(i + 1) : ""};
      if (pipeline) row.push_back(sp.stage);
      row.insert(row.end(), {Where(sp.candidate), Instance(sp.candidate), sp.candidate.spot ? "yes" : "no",
                             Fixed(sp.candidate.hourly_price, 3), "$" + Fixed(sp.cost, 2),
                             Duration(sp.time_s), "$" + Fixed(sp.egress_cost, 2)});
      if (r.node_ranges)
        row.insert(row.begin() + static_cast<std::ptrdiff_t>(nodes_at),
                   std::to_string(sp.candidate.num_nodes));
      rows.push_back(std::move(row));
    }
    if (pipeline) {
      std::vector<std::string> total = {"",
                                        "total",
                                        "",
                                        "",
                                        "",
                                        Fixed(p.hourly_price, 3),
                                        "$" + Fixed(p.est_cost, 2),
                                        Duration(p.est_time_s),
                                        "$" + Fixed(p.egress_cost, 2)};
      if (r.node_ranges) total.insert(total.begin() + static_cast<std::ptrdiff_t>(nodes_at), "");
      rows.push_back(std::move(total));
    }
  }
  if (!r.plans.empty()) {
    PrintTable(rows, out);
    out << "\n";
  }
  out << r.explanation << "\n";
}

// A ps-worker job: one plan is a region with each role's placement.
nlohmann::json RolesJson(const RolesPlanResult& r, const std::string& objective) {
  nlohmann::json plans = nlohmann::json::array();
  for (size_t i = 0; i < r.plans.size(); ++i) {
    const RolesPlan& p = r.plans[i];
    nlohmann::json roles = nlohmann::json::array();
    for (const RolePlacement& rp : p.roles) {
      const Candidate& c = rp.candidate;
      roles.push_back({{"role", rp.role},
                       {"stateful", rp.stateful},
                       {"provider", c.offer->provider},
                       {"region", c.offer->region},
                       {"zone", c.offer->zone},
                       {"instance_type", c.offer->instance_type},
                       {"accelerator", c.offer->accelerator},
                       {"accelerator_count", c.offer->accelerator_count},
                       {"instances", c.instances},
                       {"use_spot", c.spot},
                       {"hourly_price", c.hourly_price},
                       {"compute_cost", rp.compute_cost},
                       {"expected_revocations", c.revocations}});
    }
    plans.push_back({{"rank", i + 1},
                     {"provider", p.provider},
                     {"region", p.region},
                     {"hourly_price", p.hourly_price},
                     {"est_cost", p.est_cost},
                     {"est_time_s", p.est_time_s},
                     {"egress_cost", p.egress_cost},
                     {"compute_cost", p.compute_cost},
                     {"roles", std::move(roles)}});
  }
  return {{"objective", objective},
          {"solver", "roles"},
          {"plans", std::move(plans)},
          {"explanation", r.explanation}};
}

void PrintRoles(const RolesPlanResult& r, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"PLAN", "ROLE", "WHERE", "INSTANCE", "SPOT", "$/H", "EST. COST", "EST. TIME", "EGRESS"}};
  for (size_t i = 0; i < r.plans.size(); ++i) {
    const RolesPlan& p = r.plans[i];
    for (size_t k = 0; k < p.roles.size(); ++k) {
      const Candidate& c = p.roles[k].candidate;
      rows.push_back({k == 0 ? std::to_string(i + 1) : "", p.roles[k].role, Where(c), Instance(c),
                      c.spot ? "yes" : "no", Fixed(c.hourly_price, 3),
                      "$" + Fixed(p.roles[k].compute_cost, 2), "", ""});
    }
    rows.push_back({"", "total", p.provider + "/" + p.region, "", "", Fixed(p.hourly_price, 3),
                    "$" + Fixed(p.est_cost, 2), Duration(p.est_time_s), "$" + Fixed(p.egress_cost, 2)});
  }
  if (!r.plans.empty()) {
    PrintTable(rows, out);
    out << "\n";
  }
  out << r.explanation << "\n";
}

}  // namespace

int RunPlan(const PlanCliOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  SpecParseOptions parse;
  parse.broker_fields = true;
  SpecParseResult parsed;
  if (options.file == "-") {
    std::string text;
    char buffer[65536];
    while (text.size() <= kMaxSpecBytes && in.read(buffer, sizeof buffer).gcount() > 0)
      text.append(buffer, static_cast<size_t>(in.gcount()));
    parsed = ParseJobSpecs(text, "<stdin>", parse);
  } else {
    parsed = ParseJobSpecFile(options.file, parse);
  }
  if (!parsed.ok()) {
    for (const SpecProblem& p : parsed.problems) err << p.ToString() << "\n";
    return 2;
  }
  if (!(options.hours > 0) || !std::isfinite(options.hours)) {
    err << "skyrun plan: --hours must be a number of hours above 0, such as 1 or 0.5\n";
    return 1;
  }
  if (options.max_plans < 1) {
    err << "skyrun plan: --max-plans must be at least 1\n";
    return 1;
  }
  std::string dir = options.catalog_dir.empty() ? catalog::BuiltinCatalogDir() : options.catalog_dir;
  auto catalog = Catalog::LoadDir(dir);
  if (!catalog.ok()) {
    err << "skyrun plan: cannot load the catalog " << dir << ": " << catalog.status().message()
        << " (give another with --catalog DIR)\n";
    return 1;
  }
  if (parsed.specs.size() == 1 && parsed.specs.front().mode == JobMode::kPsWorker) {
    const JobSpec& job = parsed.specs.front();
    auto roles = PlanRoles(job, options.hours, MarketOf(*catalog), OptimizerParams{},
                           static_cast<size_t>(options.max_plans));
    if (!roles.ok()) {
      err << "skyrun plan: " << roles.status().message() << "\n";
      return 1;
    }
    if (options.json) {
      out << RolesJson(*roles, job.objective).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
          << "\n";
    } else {
      PrintRoles(*roles, out);
    }
    return roles->plans.empty() ? 1 : 0;
  }
  PlanRequest request;
  request.stages = std::move(parsed.specs);
  request.hours = options.hours;
  request.max_plans = static_cast<size_t>(options.max_plans);
  Market market = MarketOf(*catalog);
  auto result = Optimize(request, market);
  if (!result.ok()) {
    err << "skyrun plan: " << result.status().message() << "\n";
    return 1;
  }
  if (options.json) {
    out << ResultJson(*result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    PrintText(*result, out);
  }
  return result->plans.empty() ? 1 : 0;
}

}  // namespace skyrun
