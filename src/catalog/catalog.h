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

#include <optional>
#include <string>
#include <vector>

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
  static Result<Catalog> LoadDir(const std::string& dir);

  const std::vector<Offer>& offers() const { return offers_; }
  // nullptr when the region is unknown.
  const RegionInfo* FindRegion(const std::string& provider, const std::string& region) const;
  // USD to move `gb` gigabytes from `from` to `to`: 0 within one region;
  // the provider's inter-region rate within one provider; its tiered
  // internet rate out of it.
  double EgressCost(const Location& from, const Location& to, double gb) const;

 private:
  std::vector<Offer> offers_;
  std::vector<RegionInfo> regions_;
};

}  // namespace skyrun
