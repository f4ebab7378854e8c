// MarketOf: the optimizer's view (market.h) of a loaded Catalog and, when
// given, the Directory's live figures: a spot offer's revocation rate comes
// from the most specific directory entry for it (zone and instance type
// first). The directory publishes p, the probability that a spot instance is
// revoked within an hour; the spot model wants a rate, λ = -ln(1 - p).
// Without an entry, OptimizerParams' default rate applies.
// Callers: `skyrun plan`, the benchmark, tests over the real catalog, and
// the controller (its broker's regions, egress and preemption rates).
// Thread-safety: the Market reads the Catalog (immutable) and the Directory
// (thread-safe), which must outlive it.
#pragma once

#include "catalog/catalog.h"
#include "catalog/directory.h"
#include "optimizer/market.h"

namespace skyrun {

Market MarketOf(const Catalog& catalog, const catalog::Directory* directory = nullptr);

// λ per hour for a probability p of revocation within an hour (p in [0, 1]).
double RevocationRateOf(double p_within_hour);

}  // namespace skyrun
