// GET /v1/cost-report: what was spent over a period, by job, tenant or
// provider (accounting/report.h). Query parameters, all optional:
//   by=job|tenant|provider|queue    (job)
//   since=DURATION                  ("7d", "12h": the period ends now)
//   from=TIME&to=TIME               (RFC 3339 or a day "2026-12-01"; to = now)
//   tenant=NAME                     (platform admins: one tenant's costs)
// The default period is the last 30 days. Who sees what: a platform admin
// every tenant (or the one named); anyone else only their own tenant, and
// naming another is PermissionDenied. A period longer than 400 days, or one
// that ends before it starts, is InvalidArgument.
//
// Who calls it: server.cc's routes. Thread-safety: a stateless function over
// the thread-safe Store.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace skyrun {

Result<nlohmann::json> CostReportAs(Store& store, const TokenRecord& who,
                                    const std::map<std::string, std::string>& params, Micros now);

}  // namespace skyrun
