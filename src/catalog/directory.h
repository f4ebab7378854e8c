// Directory: the dynamic metadata providers publish about their capacity
// (issue 12 item 2) - availability, load, current prices and the spot
// preemption rate - per provider, region and optionally zone and instance
// type. Providers write it through the API (PUT /v1/directory/{provider}/
// {region}, docs/api.md); the server keeps it here and in the store so that
// it survives a restart; the optimizer reads the latest value per key with
// its time (Find, most specific entry first).
//
// A PUT replaces the entry of its key (provider, region, zone,
// instance_type) whole: fields left out are then unknown, not kept from the
// previous report, so a stale figure never outlives the report that dropped
// it.
// Thread-safety: Directory is thread-safe (one mutex; reads copy out).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace skyrun::catalog {

struct DirectoryEntry {
  std::string provider;                   // "aws"
  std::string region;                     // "us-east-1"
  std::string zone;                       // "" = the whole region
  std::string instance_type;              // "" = every instance type there
  std::optional<int64_t> availability;    // instances obtainable now, 0..1e9
  std::optional<double> load;             // utilisation, 0..1
  std::optional<double> price;            // USD per instance-hour on demand, 0..1e6
  std::optional<double> spot_price;       // USD per instance-hour, 0..1e6
  std::optional<double> preemption_rate;  // P(a spot instance is preempted within an hour), 0..1
  Micros updated_at = 0;
  std::string updated_by;  // tenant of the token that wrote it

  auto Key() const { return std::tie(provider, region, zone, instance_type); }
};

// Entries kept at most (ResourceExhausted beyond): a provider cannot grow
// the server's memory without bound.
inline constexpr size_t kMaxDirectoryEntries = 100000;

// Provider and region names as they appear in catalog files and paths:
// [a-z0-9][a-z0-9._-]{0,62}; zones and instance types up to 128 of
// [A-Za-z0-9._-].
bool IsDirectoryName(std::string_view name);
bool IsDirectoryDetail(std::string_view name);

// The body of PUT /v1/directory/{provider}/{region}:
//   {"zone": "us-east-1a", "instance_type": "p4d.24xlarge", "availability": 3,
//    "load": 0.4, "price": 32.77, "spot_price": 9.8, "preemption_rate": 0.05}
// zone and instance_type optional; at least one figure. Unknown fields, wrong
// types and values out of range are refused with the field's name.
Result<DirectoryEntry> ParseDirectoryUpdate(std::string_view body, const std::string& provider,
                                            const std::string& region);

nlohmann::json DirectoryEntryToJson(const DirectoryEntry& entry);
// The inverse, for the store's rows; as strict as ParseDirectoryUpdate.
Result<DirectoryEntry> DirectoryEntryFromJson(const nlohmann::json& j);

class Directory {
 public:
  explicit Directory(size_t max_entries = kMaxDirectoryEntries) : max_entries_(max_entries) {}

  // Replaces the entry of e's key. ResourceExhausted when the directory is
  // full and the key is new.
  Status Put(DirectoryEntry entry);
  // What Put would say about room for e's key, without storing it.
  Status CheckRoom(const DirectoryEntry& e) const;
  // The most specific entry for an offer: (zone, instance type), then
  // (region, instance type), then (zone, any type), then (region, any type).
  std::optional<DirectoryEntry> Find(const std::string& provider, const std::string& region,
                                     const std::string& zone, const std::string& instance_type) const;
  // Every entry, by key.
  std::vector<DirectoryEntry> List() const;
  size_t size() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  Status RoomLocked(const Key& key) const;  // mu_ held
  size_t max_entries_;
  mutable std::mutex mu_;
  std::map<Key, DirectoryEntry> entries_;  // guarded by mu_
};

}  // namespace skyrun::catalog
