#include "accounting/data_egress.h"

namespace skyrun {
namespace {

Location LocationOf(const std::string& place) {
  const size_t slash = place.find('/');
  if (slash == std::string::npos) return Location{place, ""};
  return Location{place.substr(0, slash), place.substr(slash + 1)};
}

}  // namespace

std::vector<EgressCharge> MovedDataCharges(const DataMoved& moved, const Location& placement,
                                           const std::string& placement_name, const Catalog& catalog) {
  std::vector<EgressCharge> out;
  for (const auto& [store, bytes] : moved.in_by_location) {
    if (bytes <= 0 || store.empty()) continue;
    EgressCharge c;
    c.gb = static_cast<double>(bytes) / kBytesPerGb;
    c.usd = catalog.EgressCost(LocationOf(store), placement, c.gb);
    c.source = store;
    c.destination = placement_name;
    out.push_back(c);
  }
  for (const auto& [store, bytes] : moved.out_by_location) {
    if (bytes <= 0 || store.empty()) continue;
    EgressCharge c;
    c.gb = static_cast<double>(bytes) / kBytesPerGb;
    c.usd = catalog.EgressCost(placement, LocationOf(store), c.gb);
    c.source = placement_name;
    c.destination = store;
    out.push_back(c);
  }
  return out;
}

}  // namespace skyrun
