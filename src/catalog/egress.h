// Egress prices: what moving data out of a provider costs, per GB.
//
// Two tables, both CSV files of the catalog directory:
//   egress_internet.csv      provider,up_to_gb,usd_per_gb: the provider's
//                            tiered rate for data leaving it (to the internet
//                            or another provider). Rows of one provider are
//                            its tiers in order; each charges the GB between
//                            the previous tier's bound and its own; an empty
//                            up_to_gb is the last, open-ended tier.
//   egress_inter_region.csv  provider,from_continent,to_continent,usd_per_gb:
//                            the flat rate between two regions of one
//                            provider. The first row that matches wins;
//                            "*" matches any continent and a to_continent of
//                            "same" matches the source's own.
// Tiered costs are a marginal sum (each GB at the rate of the tier it falls
// in), not SkyPilot's loop that subtracts the tier bound from the volume (see
// data/catalog/EGRESS.md). Callers: catalog.cc. Thread-safety: immutable
// after loading.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/csv.h"
#include "common/status.h"

namespace skyrun::catalog {

struct EgressTier {
  std::optional<double> up_to_gb;  // absent: no upper bound
  double usd_per_gb = 0;
};

// The cost of `gb` under marginal `tiers`; 0 for gb <= 0 or not finite. GB
// beyond the last bounded tier (when every tier is bounded) are charged at
// the last tier's rate.
double TieredCost(const std::vector<EgressTier>& tiers, double gb);

class EgressTable {
 public:
  // Adds the tiers in `doc`; a provider listed here replaces its earlier
  // tiers (a later catalog directory overrides an earlier one).
  Status AddInternet(const CsvDocument& doc);
  Status AddInterRegion(const CsvDocument& doc);

  // nullopt when the provider has no tiers.
  std::optional<double> InternetCost(const std::string& provider, double gb) const;
  // USD per GB between continents of one provider's regions (empty
  // continent: unknown, only "*" rows match); nullopt without a matching row.
  std::optional<double> InterRegionRate(const std::string& provider, const std::string& from_continent,
                                        const std::string& to_continent) const;

 private:
  struct InterRegionRule {
    std::string from;  // continent or "*"
    std::string to;    // continent, "*" or "same"
    double usd_per_gb = 0;
  };
  std::map<std::string, std::vector<EgressTier>> internet_;
  std::map<std::string, std::vector<InterRegionRule>> inter_region_;
};

}  // namespace skyrun::catalog
