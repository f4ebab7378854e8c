#include "server/cost_routes.h"

#include "accounting/report.h"
#include "common/strings.h"
#include "server/auth.h"

namespace skyrun {

namespace {

constexpr Micros kDefaultPeriod = 30LL * 24 * 3600 * kMicrosPerSecond;
constexpr Micros kLongestPeriod = 400LL * 24 * 3600 * kMicrosPerSecond;

std::string Param(const std::map<std::string, std::string>& params, const std::string& key) {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

Result<Micros> TimeParam(const std::string& key, const std::string& text) {
  auto t = ParseTimestamp(text);
  if (!t) {
    return InvalidArgument("?" + key +
                           "= must be an RFC 3339 time (2026-12-01T00:00:00Z) or a day (2026-12-01), not '" +
                           text.substr(0, 64) + "'");
  }
  return *t;
}

}  // namespace

Result<nlohmann::json> CostReportAs(Store& store, const TokenRecord& who,
                                    const std::map<std::string, std::string>& params, Micros now) {
  for (const auto& [key, value] : params) {
    if (key != "by" && key != "since" && key != "from" && key != "to" && key != "tenant") {
      return InvalidArgument("unknown query parameter '" + key.substr(0, 64) +
                             "' (known: by, since, from, to, tenant)");
    }
  }
  const std::string by_text = Param(params, "by").empty() ? "job" : Param(params, "by");
  auto by = ParseCostGroup(by_text);
  if (!by)
    return InvalidArgument("?by= must be job, tenant, provider or queue, not '" + by_text.substr(0, 64) +
                           "'");

  Micros to = now;
  if (!Param(params, "to").empty()) {
    SKYRUN_ASSIGN_OR_RETURN(to, TimeParam("to", Param(params, "to")));
  }
  Micros from = to - kDefaultPeriod;
  if (!Param(params, "since").empty()) {
    if (!Param(params, "from").empty()) return InvalidArgument("give ?since= or ?from=, not both");
    auto seconds = ParseDurationSeconds(Param(params, "since"));
    if (!seconds.ok()) return seconds.status().WithContext("?since=");
    if (*seconds <= 0 || *seconds > kLongestPeriod / kMicrosPerSecond) {
      return InvalidArgument("?since= must be more than 0 and at most 400 days");
    }
    from = to - *seconds * kMicrosPerSecond;
  } else if (!Param(params, "from").empty()) {
    SKYRUN_ASSIGN_OR_RETURN(from, TimeParam("from", Param(params, "from")));
  }
  if (to <= from) return InvalidArgument("the period must end after it starts (?from= before ?to=)");
  if (to - from > kLongestPeriod) return InvalidArgument("a cost report covers at most 400 days");

  std::optional<TenantId> tenant;
  const std::string tenant_name = Param(params, "tenant");
  if (IsPlatformAdmin(who)) {
    if (!tenant_name.empty()) {
      SKYRUN_ASSIGN_OR_RETURN(TenantRecord t, store.GetTenantByName(tenant_name));
      tenant = t.id;
    }
  } else {
    if (!tenant_name.empty() && tenant_name != who.tenant_name) {
      return PermissionDenied("only a platform admin can see another tenant's costs");
    }
    tenant = who.tenant;
  }
  SKYRUN_ASSIGN_OR_RETURN(BillingData data, store.ListBilling(from, to, tenant));
  return CostReportToJson(BuildCostReport(data, from, to, now, *by));
}

}  // namespace skyrun
