// Market: what the optimizer reads about the world — the offers it may buy,
// where each region is (country, continent), what moving data costs, and how
// often spot capacity is revoked. A small struct of views rather than the
// Catalog itself, so that tests build a hand-written market and the directory
// (live preemption rates) plugs in without the optimizer knowing either.
// MarketOf (market_catalog.h) builds one over a loaded Catalog.
//
// Callers: Optimize (optimizer.h), `skyrun plan`, the benchmark.
// Thread-safety: a Market is read-only during Optimize; what it points at
// must outlive it and must not change while it is used.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/offer.h"

namespace skyrun {

struct Market {
  const std::vector<Offer>* offers = nullptr;
  // nullptr when the region is unknown (Country and Continent then read
  // UNDEFINED in requirements).
  std::function<const RegionInfo*(const std::string& provider, const std::string& region)> find_region;
  // USD to move `gb` gigabytes from `from` to `to` (Catalog::EgressCost).
  std::function<double(const Location& from, const Location& to, double gb)> egress_cost;
  // Expected revocations per instance-hour of a spot offer; null or a
  // negative answer = OptimizerParams::spot.default_preemptions_per_hour.
  std::function<double(const Offer& offer)> preemption_rate;
};

}  // namespace skyrun
