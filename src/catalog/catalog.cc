#include "catalog/catalog.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "catalog/csv.h"
#include "catalog/offers_builder.h"
#include "catalog/vms_csv.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRegionsFile = "regions.csv";
constexpr const char* kEgressInternetFile = "egress_internet.csv";
constexpr const char* kEgressInterRegionFile = "egress_inter_region.csv";

Result<std::string> ReadFile(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return NotFound(path.string() + ": cannot read: " + ec.message());
  if (size > catalog::kMaxCsvBytes) {
    return InvalidArgument(path.string() + ": " + std::to_string(size) +
                           " bytes is more than a catalog file may have");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path.string() + ": cannot open");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<catalog::CsvDocument> ReadCsv(const fs::path& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return catalog::ParseCsv(*text, path.string());
}

bool ValidProviderName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Result<std::vector<RegionInfo>> ParseRegions(const catalog::CsvDocument& doc) {
  std::vector<RegionInfo> regions;
  const char* kColumns[] = {"provider", "region", "country", "continent"};
  size_t col[4];
  for (int i = 0; i < 4; ++i) {
    std::optional<size_t> at = doc.Column(kColumns[i]);
    if (!at) {
      return InvalidArgument(doc.source + ":" + std::to_string(doc.header.line) + ": the header has no '" +
                             kColumns[i] + "' column (provider,region,country,continent)");
    }
    col[i] = *at;
  }
  static const std::set<std::string> kContinents = {"NA", "SA", "EU", "AS", "OC", "AF", "AN"};
  for (const catalog::CsvRecord& record : doc.records) {
    RegionInfo info;
    info.provider = record.fields[col[0]].text;
    info.region = record.fields[col[1]].text;
    info.country = record.fields[col[2]].text;
    info.continent = record.fields[col[3]].text;
    if (info.provider.empty() || info.region.empty()) {
      return InvalidArgument(doc.Where(record.fields[0]) + ": provider and region must not be empty");
    }
    const catalog::CsvField& country = record.fields[col[2]];
    if (country.text.size() != 2 ||
        !std::all_of(country.text.begin(), country.text.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return InvalidArgument(doc.Where(country) + ": country '" + country.text +
                             "' is not an ISO 3166-1 alpha-2 code such as US");
    }
    if (!kContinents.count(info.continent)) {
      return InvalidArgument(doc.Where(record.fields[col[3]]) + ": continent '" + info.continent +
                             "' is not one of NA, SA, EU, AS, OC, AF, AN");
    }
    regions.push_back(std::move(info));
  }
  return regions;
}

}  // namespace

Result<Catalog> Catalog::LoadDir(const std::string& dir) {
  return LoadDirs({dir});
}

Result<Catalog> Catalog::LoadDirs(const std::vector<std::string>& dirs) {
  Catalog catalog;
  std::map<std::string, std::vector<Offer>> by_provider;
  std::map<std::pair<std::string, std::string>, RegionInfo> regions;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return NotFound("catalog directory " + dir + " does not exist or is not a directory");
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".csv") files.push_back(entry.path());
    }
    if (ec) return Internal("listing catalog directory " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      const std::string name = path.filename().string();
      Result<catalog::CsvDocument> doc = ReadCsv(path);
      if (!doc.ok()) return doc.status();
      if (name == kRegionsFile) {
        Result<std::vector<RegionInfo>> parsed = ParseRegions(*doc);
        if (!parsed.ok()) return parsed.status();
        for (RegionInfo& info : *parsed) regions[{info.provider, info.region}] = std::move(info);
      } else if (name == kEgressInternetFile) {
        SKYRUN_RETURN_IF_ERROR(catalog.egress_.AddInternet(*doc));
      } else if (name == kEgressInterRegionFile) {
        SKYRUN_RETURN_IF_ERROR(catalog.egress_.AddInterRegion(*doc));
      } else {
        const std::string provider = path.stem().string();
        if (!ValidProviderName(provider)) {
          return InvalidArgument(path.string() +
                                 ": a provider file is named after its provider in lower case "
                                 "letters, digits, '-' or '_' (aws.csv)");
        }
        Result<std::string> text = ReadFile(path);
        if (!text.ok()) return text.status();
        Result<std::vector<catalog::VmRow>> rows = catalog::ParseVmsCsv(*text, path.string());
        if (!rows.ok()) return rows.status();
        Result<std::vector<Offer>> offers = catalog::BuildOffers(provider, *rows, path.string());
        if (!offers.ok()) return offers.status();
        by_provider[provider] = std::move(*offers);
      }
    }
  }
  for (auto& [provider, offers] : by_provider) {
    std::move(offers.begin(), offers.end(), std::back_inserter(catalog.offers_));
  }
  for (auto& [key, info] : regions) catalog.regions_.push_back(std::move(info));
  return catalog;
}

void Catalog::SetClusterOffers(const std::string& provider, std::vector<Offer> offers,
                               double egress_usd_per_gb) {
  std::erase_if(offers_, [&](const Offer& o) { return o.provider == provider; });
  std::move(offers.begin(), offers.end(), std::back_inserter(offers_));
  cluster_egress_[provider] = egress_usd_per_gb;
}

const RegionInfo* Catalog::FindRegion(const std::string& provider, const std::string& region) const {
  // regions_ is sorted by (provider, region): it was filled from a std::map.
  auto it = std::lower_bound(regions_.begin(), regions_.end(), std::make_pair(provider, region),
                             [](const RegionInfo& info, const std::pair<std::string, std::string>& key) {
                               return std::tie(info.provider, info.region) < std::tie(key.first, key.second);
                             });
  if (it == regions_.end() || it->provider != provider || it->region != region) return nullptr;
  return &*it;
}

double Catalog::EgressCost(const Location& from, const Location& to, double gb) const {
  if (!(gb > 0) || !std::isfinite(gb)) return 0;
  auto cluster = cluster_egress_.find(from.provider);
  if (cluster != cluster_egress_.end()) {
    return from.provider == to.provider ? 0 : gb * cluster->second;
  }
  if (from.provider == to.provider) {
    if (from.region == to.region) return 0;
    const RegionInfo* a = FindRegion(from.provider, from.region);
    const RegionInfo* b = FindRegion(to.provider, to.region);
    std::optional<double> rate = egress_.InterRegionRate(from.provider, a ? a->continent : std::string(),
                                                         b ? b->continent : std::string());
    if (rate) return gb * *rate;
  }
  return egress_.InternetCost(from.provider, gb).value_or(0);
}

}  // namespace skyrun
