#include "catalog/egress.h"

#include <charconv>
#include <cmath>
#include <set>

namespace skyrun::catalog {
namespace {

// Far above any real rate; refuses typos such as a price in cents.
constexpr double kMaxRate = 100;

Result<size_t> RequireColumn(const CsvDocument& doc, const char* name) {
  std::optional<size_t> at = doc.Column(name);
  if (!at) {
    return InvalidArgument(doc.source + ":" + std::to_string(doc.header.line) + ": the header has no '" +
                           name + "' column");
  }
  return *at;
}

Result<double> ParseNumber(const CsvDocument& doc, const CsvField& field, const char* what, double max) {
  double value = 0;
  const char* end = field.text.data() + field.text.size();
  auto [ptr, ec] = std::from_chars(field.text.data(), end, value);
  if (field.text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0 ||
      value > max) {
    return InvalidArgument(doc.Where(field) + ": " + what + " '" + field.text + "' is not a number in [0, " +
                           std::to_string(static_cast<int64_t>(max)) + "]");
  }
  return value;
}

const std::set<std::string>& Continents() {
  static const std::set<std::string> kContinents = {"NA", "SA", "EU", "AS", "OC", "AF", "AN"};
  return kContinents;
}

}  // namespace

double TieredCost(const std::vector<EgressTier>& tiers, double gb) {
  if (!std::isfinite(gb) || gb <= 0 || tiers.empty()) return 0;
  double cost = 0;
  double lower = 0;
  for (const EgressTier& tier : tiers) {
    double upper = tier.up_to_gb.value_or(gb);
    if (gb <= lower) break;
    double in_tier = std::min(gb, upper) - lower;
    if (in_tier > 0) cost += in_tier * tier.usd_per_gb;
    lower = std::max(lower, upper);
  }
  if (gb > lower) cost += (gb - lower) * tiers.back().usd_per_gb;
  return cost;
}

Status EgressTable::AddInternet(const CsvDocument& doc) {
  Result<size_t> provider_col = RequireColumn(doc, "provider");
  if (!provider_col.ok()) return provider_col.status();
  Result<size_t> bound_col = RequireColumn(doc, "up_to_gb");
  if (!bound_col.ok()) return bound_col.status();
  Result<size_t> rate_col = RequireColumn(doc, "usd_per_gb");
  if (!rate_col.ok()) return rate_col.status();
  std::map<std::string, std::vector<EgressTier>> added;
  std::set<std::string> closed;  // providers whose open-ended tier has been seen
  for (const CsvRecord& record : doc.records) {
    const CsvField& provider = record.fields[*provider_col];
    const CsvField& bound = record.fields[*bound_col];
    if (provider.text.empty()) return InvalidArgument(doc.Where(provider) + ": provider is empty");
    if (closed.count(provider.text)) {
      return InvalidArgument(doc.Where(provider) + ": a tier after " + provider.text +
                             "'s open-ended tier (the one with an empty up_to_gb must be last)");
    }
    EgressTier tier;
    Result<double> rate = ParseNumber(doc, record.fields[*rate_col], "usd_per_gb", kMaxRate);
    if (!rate.ok()) return rate.status();
    tier.usd_per_gb = *rate;
    std::vector<EgressTier>& tiers = added[provider.text];
    if (bound.text.empty()) {
      closed.insert(provider.text);
    } else {
      Result<double> up_to = ParseNumber(doc, bound, "up_to_gb", 1e15);
      if (!up_to.ok()) return up_to.status();
      if (!tiers.empty() && tiers.back().up_to_gb && *up_to <= *tiers.back().up_to_gb) {
        return InvalidArgument(doc.Where(bound) + ": up_to_gb " + bound.text +
                               " is not above the previous tier's bound; list tiers in increasing order");
      }
      tier.up_to_gb = *up_to;
    }
    tiers.push_back(tier);
  }
  for (auto& [provider, tiers] : added) internet_[provider] = std::move(tiers);
  return Status::Ok();
}

Status EgressTable::AddInterRegion(const CsvDocument& doc) {
  Result<size_t> provider_col = RequireColumn(doc, "provider");
  if (!provider_col.ok()) return provider_col.status();
  Result<size_t> from_col = RequireColumn(doc, "from_continent");
  if (!from_col.ok()) return from_col.status();
  Result<size_t> to_col = RequireColumn(doc, "to_continent");
  if (!to_col.ok()) return to_col.status();
  Result<size_t> rate_col = RequireColumn(doc, "usd_per_gb");
  if (!rate_col.ok()) return rate_col.status();
  std::map<std::string, std::vector<InterRegionRule>> added;
  for (const CsvRecord& record : doc.records) {
    const CsvField& provider = record.fields[*provider_col];
    const CsvField& from = record.fields[*from_col];
    const CsvField& to = record.fields[*to_col];
    if (provider.text.empty()) return InvalidArgument(doc.Where(provider) + ": provider is empty");
    if (from.text != "*" && !Continents().count(from.text)) {
      return InvalidArgument(doc.Where(from) + ": from_continent '" + from.text +
                             "' is not one of NA, SA, EU, AS, OC, AF, AN or *");
    }
    if (to.text != "*" && to.text != "same" && !Continents().count(to.text)) {
      return InvalidArgument(doc.Where(to) + ": to_continent '" + to.text +
                             "' is not one of NA, SA, EU, AS, OC, AF, AN, same or *");
    }
    Result<double> rate = ParseNumber(doc, record.fields[*rate_col], "usd_per_gb", kMaxRate);
    if (!rate.ok()) return rate.status();
    added[provider.text].push_back({from.text, to.text, *rate});
  }
  for (auto& [provider, rules] : added) inter_region_[provider] = std::move(rules);
  return Status::Ok();
}

std::optional<double> EgressTable::InternetCost(const std::string& provider, double gb) const {
  auto it = internet_.find(provider);
  if (it == internet_.end()) return std::nullopt;
  return TieredCost(it->second, gb);
}

std::optional<double> EgressTable::InterRegionRate(const std::string& provider,
                                                   const std::string& from_continent,
                                                   const std::string& to_continent) const {
  auto it = inter_region_.find(provider);
  if (it == inter_region_.end()) return std::nullopt;
  for (const InterRegionRule& rule : it->second) {
    bool from_ok = rule.from == "*" || (!from_continent.empty() && rule.from == from_continent);
    bool to_ok = rule.to == "*" || (!to_continent.empty() && rule.to == to_continent) ||
                 (rule.to == "same" && !from_continent.empty() && from_continent == to_continent);
    if (from_ok && to_ok) return rule.usd_per_gb;
  }
  return std::nullopt;
}

}  // namespace skyrun::catalog
