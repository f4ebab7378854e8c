#include "optimizer/market_catalog.h"

#include <cmath>

namespace skyrun {

double RevocationRateOf(double p_within_hour) {
  if (!(p_within_hour > 0)) return 0;
  // p = 1 (certain revocation) has no finite rate; 50/h is past anything the spot model can finish.
  if (p_within_hour >= 1) return 50;
  return -std::log1p(-p_within_hour);
}

Market MarketOf(const Catalog& catalog, const catalog::Directory* directory) {
  Market m;
  m.offers = &catalog.offers();
  m.find_region = [&catalog](const std::string& provider, const std::string& region) {
    return catalog.FindRegion(provider, region);
  };
  m.egress_cost = [&catalog](const Location& from, const Location& to, double gb) {
    return catalog.EgressCost(from, to, gb);
  };
  if (directory) {
    m.preemption_rate = [directory](const Offer& offer) {
      auto entry = directory->Find(offer.provider, offer.region, offer.zone, offer.instance_type);
      if (!entry || !entry->preemption_rate) return -1.0;  // the default rate
      return RevocationRateOf(*entry->preemption_rate);
    };
  }
  return m;
}

}  // namespace skyrun
