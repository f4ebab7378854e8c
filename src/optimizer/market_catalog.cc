#include "optimizer/market_catalog.h"

namespace skyrun {

Market MarketOf(const Catalog& catalog) {
  Market m;
  m.offers = &catalog.offers();
  m.find_region = [&catalog](const std::string& provider, const std::string& region) {
    return catalog.FindRegion(provider, region);
  };
  m.egress_cost = [&catalog](const Location& from, const Location& to, double gb) {
    return catalog.EgressCost(from, to, gb);
  };
  return m;
}

}  // namespace skyrun
