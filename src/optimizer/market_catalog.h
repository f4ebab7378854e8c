// MarketOf: the optimizer's view (market.h) of a loaded Catalog, with the
// default spot revocation rate until the directory supplies live ones.
// Callers: `skyrun plan`, the benchmark, tests over the real catalog.
// Thread-safety: the Market reads the Catalog, which must outlive it.
#pragma once

#include "catalog/catalog.h"
#include "optimizer/market.h"

namespace skyrun {

Market MarketOf(const Catalog& catalog);

}  // namespace skyrun
