#include "accounting/report.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "accounting/cost.h"

namespace skyrun {

const char* CostGroupName(CostGroup g) {
  switch (g) {
    case CostGroup::kJob: return "job";
    case CostGroup::kTenant: return "tenant";
    case CostGroup::kProvider: return "provider";
    case CostGroup::kQueue: return "queue";
  }
  return "job";
}

std::optional<CostGroup> ParseCostGroup(const std::string& s) {
  if (s == "job") return CostGroup::kJob;
  if (s == "tenant") return CostGroup::kTenant;
  if (s == "provider") return CostGroup::kProvider;
  if (s == "queue") return CostGroup::kQueue;
  return std::nullopt;
}

std::string ProviderOfBackend(const std::string& backend) {
  const std::string kSim = "simcloud/";
  if (backend.rfind(kSim, 0) == 0) {
    std::string rest = backend.substr(kSim.size());
    return rest.substr(0, rest.find('/'));
  }
  return backend;
}

namespace {

std::pair<std::string, std::string> KeyOf(CostGroup by, JobId job, const BillingOwner& owner,
                                          const std::string& provider) {
  switch (by) {
    case CostGroup::kJob: return {job.ToString(), owner.job_name + " (" + owner.tenant_name + ")"};
    case CostGroup::kTenant: return {owner.tenant_name, owner.tenant_name};
    case CostGroup::kProvider: return {provider, provider};
    case CostGroup::kQueue: return {owner.queue, owner.queue};
  }
  return {"", ""};
}

}  // namespace

CostReport BuildCostReport(const BillingData& data, Micros from, Micros to, Micros now, CostGroup by) {
  CostReport report;
  report.from = from;
  report.to = to;
  report.by = by;
  std::map<std::string, CostLine> lines;
  std::map<std::string, std::set<std::pair<int64_t, int>>> attempts_of;  // key -> (job, attempt_no)

  // Price changes by task, so each attempt sees only its own.
  std::map<std::tuple<int64_t, int, int>, std::vector<PriceChange>> changes;
  for (const PriceChange& c : data.price_changes) changes[{c.job.value(), c.attempt_no, c.rank}].push_back(c);
  static const std::vector<PriceChange> kNone;

  for (const BillableAttempt& b : data.attempts) {
    const AttemptRecord& a = b.attempt;
    auto found = changes.find({a.job_id.value(), a.attempt_no, a.rank});
    const double usd = AttemptCost(a, found == changes.end() ? kNone : found->second, from, to, now);
    const Micros end = a.ended_at > 0 ? a.ended_at : now;
    const Micros ran = std::max<Micros>(0, std::min(end, to) - std::max(a.started_at, from));
    if (ran <= 0 && usd == 0) continue;
    auto [key, label] = KeyOf(by, a.job_id, b.owner, ProviderOfBackend(a.backend));
    CostLine& line = lines[key];
    line.key = key;
    line.label = label;
    line.compute_usd += usd;
    line.task_hours += static_cast<double>(ran) / static_cast<double>(kMicrosPerHour);
    attempts_of[key].insert({a.job_id.value(), a.attempt_no});
    report.compute_usd += usd;
  }
  for (const BillableEgress& e : data.egress) {
    if (e.charge.at < from || e.charge.at >= to) continue;
    // Egress is billed by whoever the data left: the source's provider.
    const std::string source = e.charge.source.substr(0, e.charge.source.find('/'));
    auto [key, label] = KeyOf(by, e.charge.job, e.owner, source.empty() ? "unknown" : source);
    CostLine& line = lines[key];
    line.key = key;
    line.label = label;
    line.egress_usd += e.charge.usd;
    line.egress_gb += e.charge.gb;
    attempts_of[key].insert({e.charge.job.value(), e.charge.attempt_no});
    report.egress_usd += e.charge.usd;
  }
  for (auto& [key, line] : lines) {
    line.attempts = static_cast<int>(attempts_of[key].size());
    report.lines.push_back(std::move(line));
  }
  std::sort(report.lines.begin(), report.lines.end(), [](const CostLine& a, const CostLine& b) {
    if (a.total_usd() != b.total_usd()) return a.total_usd() > b.total_usd();
    return a.key < b.key;
  });
  return report;
}

nlohmann::json CostReportToJson(const CostReport& report) {
  nlohmann::json lines = nlohmann::json::array();
  for (const CostLine& l : report.lines) {
    lines.push_back({{"key", l.key},
                     {"label", l.label},
                     {"compute_usd", l.compute_usd},
                     {"egress_usd", l.egress_usd},
                     {"egress_gb", l.egress_gb},
                     {"total_usd", l.total_usd()},
                     {"task_hours", l.task_hours},
                     {"attempts", l.attempts}});
  }
  return {{"from", FormatTimestamp(report.from)}, {"to", FormatTimestamp(report.to)},
          {"by", CostGroupName(report.by)},       {"lines", lines},
          {"compute_usd", report.compute_usd},    {"egress_usd", report.egress_usd},
          {"total_usd", report.total_usd()}};
}

}  // namespace skyrun
