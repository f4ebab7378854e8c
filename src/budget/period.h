// Budget periods: the window of time a budget's spending is counted over.
// Two kinds, chosen per budget in the server config (docs/budgets.md):
//   - rolling ("30d", "7d", "12h"): the last D up to now. Nothing "rolls
//     over"; money spent more than D ago leaves the window second by second.
//   - calendar ("month", "week"): the current calendar month (from the 1st,
//     00:00 UTC) or ISO week (from Monday, 00:00 UTC). The whole amount comes
//     back when the next one starts.
// Callers: budget_config.cc parses them; the budget ledger (ledger.h) asks for
// the window containing now. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace skyrun {

enum class PeriodKind { kRolling, kMonth, kWeek };

struct BudgetPeriod {
  PeriodKind kind = PeriodKind::kRolling;
  int64_t rolling_seconds = 30LL * 24 * 3600;  // kRolling only
};

// "30d", "7d", "12h" (a rolling window of at most 400 days), "month" or "week".
Result<BudgetPeriod> ParseBudgetPeriod(const std::string& text);
// As it was written: "30d" for a whole number of days, else "<seconds>s"; "month"; "week".
std::string BudgetPeriodName(const BudgetPeriod& period);

// The window that holds `now`: [from, now] for a rolling one (`resets` is
// nullopt); [start of the month or week, now] for a calendar one, with
// `resets` the start of the next.
struct PeriodWindow {
  Micros from = 0;
  Micros to = 0;  // now
  std::optional<Micros> resets;
};
PeriodWindow WindowAt(const BudgetPeriod& period, Micros now);

// How the window reads in a message: "the 30 days to 2026-12-02T15:00:00Z",
// "December 2026 (until 2027-01-01T00:00:00Z)", "the week from 2026-11-30 (until ...)".
std::string DescribeWindow(const BudgetPeriod& period, const PeriodWindow& window);

}  // namespace skyrun
