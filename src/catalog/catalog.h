// Catalog: every offer the broker can buy (public cloud instance types from
// SkyPilot-format vms.csv files, and registered clusters at their internal
// prices), the regions they sit in (with country and continent), and what
// moving data between two places costs (egress). The optimizer reads it; the
// server loads it at start from the catalog directories in its config; the
// `skyrun offers` and `skyrun plan --catalog DIR` commands load it without a
// server.
//
// Thread-safety: immutable after loading; share a const Catalog freely.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/egress.h"
#include "catalog/offer.h"
#include "common/status.h"

namespace skyrun {

struct RegionInfo {
  std::string provider;   // "aws"
  std::string region;     // "us-east-1"
  std::string country;    // ISO 3166-1 alpha-2, "US"
  std::string continent;  // "NA", "EU", "AS", "SA", "OC", "AF"
};

// A place data lives or a task runs: "aws/us-east-1", "gcp/us-central1", "local".
struct Location {
  std::string provider;
  std::string region;  // empty: the whole provider (a cluster)
};

class Catalog {
 public:
  // Every *.csv of `dir` (one file per provider, named after it: aws.csv,
  // gcp.csv, ...), SkyPilot's vms.csv format in any column order. Errors
  // name the file, line and column.
  //
  // Besides the provider files, three names are tables, not providers:
  // regions.csv (provider,region,country,continent[,location]),
  // egress_internet.csv and egress_inter_region.csv (see catalog/egress.h).
  static Result<Catalog> LoadDir(const std::string& dir);
  // Several directories in order; a later one adds to the earlier ones and
  // replaces what they say about the same provider (its offers, its egress
  // tiers) or region. The server loads its `catalog: {dirs: [...]}` so.
  static Result<Catalog> LoadDirs(const std::vector<std::string>& dirs);

  // Adds a registered cluster (local, slurm/NAME, kubernetes/NAME) as a
  // provider: its offers (see catalog/cluster_offers.h) replace any it had,
  // and data leaving it costs `egress_usd_per_gb`. Call before sharing the
  // catalog.
  void SetClusterOffers(const std::string& provider, std::vector<Offer> offers, double egress_usd_per_gb);

  const std::vector<RegionInfo>& regions() const { return regions_; }

  const std::vector<Offer>& offers() const { return offers_; }
  // nullptr when the region is unknown.
  const RegionInfo* FindRegion(const std::string& provider, const std::string& region) const;
  // USD to move `gb` gigabytes from `from` to `to`: 0 within one region;
  // the provider's inter-region rate within one provider; its tiered
  // internet rate out of it.
  //
  // In detail: 0 for gb <= 0 and within one provider and region (a cluster
  // is one place). Out of a registered cluster: its configured flat rate.
  // Between regions of one provider: the first matching row of
  // egress_inter_region.csv by the regions' continents, or, without one, the
  // provider's internet tiers. To another provider: the source's internet
  // tiers (ingress is free everywhere). 0 for a provider with no egress
  // table at all (an unknown cloud is not guessed at).
  double EgressCost(const Location& from, const Location& to, double gb) const;

 private:
  std::vector<Offer> offers_;
  std::vector<RegionInfo> regions_;
  catalog::EgressTable egress_;
  std::map<std::string, double> cluster_egress_;  // provider -> USD per GB out
};

}  // namespace skyrun
