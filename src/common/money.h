// Money as people read it. Amounts are USD in doubles (prices come from
// catalogs as decimals); fit decisions never use them. Thread-safety: pure
// functions.
#pragma once

#include <string>

namespace skyrun {

// "$12.24" (two decimals; "$0.0042" below a cent so that it is not "$0.00").
std::string FormatUsd(double usd);

}  // namespace skyrun
