// `skyrun offers [GPU[:COUNT]] [--cloud C] [--region R] [--spot] [-o json]
// [--catalog DIR]`: the catalog's matching offers with on-demand and spot
// prices, cheapest first (what `sky show-gpus` gives SkyPilot users). Works
// without a server: it reads the built-in catalog, or the --catalog
// directories instead. src/cli/offers_command.cc parses the arguments
// (CLI11) into OffersCliArgs. Exit codes: 0 listed (possibly nothing),
// 2 bad input or an unreadable catalog.
// Thread-safety: reentrant.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"

namespace skyrun::catalog {

struct OfferFilter {
  std::string accelerator;          // empty: CPU-only offers
  std::optional<int> count;         // absent: any count of `accelerator`
  std::vector<std::string> clouds;  // providers; empty: all
  std::string region;               // empty: all
  bool spot = false;                // only offers with a spot price, ranked by it
};

// "A100:8" -> A100 x 8; "a100" -> A100, any count; "" -> CPU only. The model
// is matched without regard to case.
Status ParseAcceleratorArg(std::string_view arg, OfferFilter* filter);

// The offers that pass `filter`, by price (the spot price with filter.spot),
// then provider, region, zone and instance type so that ties print stably.
std::vector<Offer> SelectOffers(const Catalog& catalog, const OfferFilter& filter);
std::vector<Offer> SelectOffers(const std::vector<Offer>& offers, const OfferFilter& filter);

// {provider, region, zone, instance_type, accelerator, accelerator_count,
//  gpu_memory_mib, vcpus, memory_mib, price, spot_price (null when none)}:
// `skyrun offers -o json` and GET /v1/offers.
nlohmann::json OfferToJson(const Offer& offer);

// The built-in catalog: <dir of the running binary>/../share/skyrun/catalog
// when installed, else data/catalog of the source tree it was built from.
std::string BuiltinCatalogDir();

struct OffersCliArgs {
  std::string accelerator;            // positional, "A100:8"
  std::vector<std::string> clouds;    // --cloud aws,gcp
  std::string region;                 // --region
  bool spot = false;                  // --spot
  std::string output = "table";       // -o table|json
  std::vector<std::string> catalogs;  // --catalog DIR (repeatable); empty: built-in
  int limit = 0;                      // --limit N; 0 = all
};

int RunOffersCommand(const OffersCliArgs& args, std::ostream& out, std::ostream& err);

}  // namespace skyrun::catalog
