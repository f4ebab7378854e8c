#include "catalog/directory.h"

#include <cmath>

namespace skyrun::catalog {
namespace {

bool NameChar(char c, bool upper) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         (upper && c >= 'A' && c <= 'Z');
}

Status CheckKnown(const nlohmann::json& j, std::initializer_list<const char*> known) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return InvalidArgument("unknown field '" + it.key() + "'; known: " + list);
    }
  }
  return Status::Ok();
}

Status GetDetail(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return InvalidArgument(std::string("field '") + key + "' must be a string");
  std::string value = it->get<std::string>();
  if (!value.empty() && !IsDirectoryDetail(value)) {
    return InvalidArgument(std::string("field '") + key +
                           "' must be at most 128 letters, digits, '.', '_' or '-'");
  }
  *out = value;
  return Status::Ok();
}

Status GetNumber(const nlohmann::json& j, const char* key, double max, std::optional<double>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return InvalidArgument(std::string("field '") + key + "' must be a number");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > max) {
    char range[64];
    std::snprintf(range, sizeof range, "[0, %g]", max);
    return InvalidArgument(std::string("field '") + key + "' must be in " + range);
  }
  *out = v;
  return Status::Ok();
}

Status GetCount(const nlohmann::json& j, const char* key, std::optional<int64_t>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  constexpr int64_t kMax = 1000000000;
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(kMax)) ||
      it->get<int64_t>() < 0 || it->get<int64_t>() > kMax) {
    return InvalidArgument(std::string("field '") + key + "' must be a whole number from 0 to 1000000000");
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadFigures(const nlohmann::json& j, DirectoryEntry* e) {
  SKYRUN_RETURN_IF_ERROR(GetDetail(j, "zone", &e->zone));
  SKYRUN_RETURN_IF_ERROR(GetDetail(j, "instance_type", &e->instance_type));
  SKYRUN_RETURN_IF_ERROR(GetCount(j, "availability", &e->availability));
  SKYRUN_RETURN_IF_ERROR(GetNumber(j, "load", 1, &e->load));
  SKYRUN_RETURN_IF_ERROR(GetNumber(j, "price", 1e6, &e->price));
  SKYRUN_RETURN_IF_ERROR(GetNumber(j, "spot_price", 1e6, &e->spot_price));
  SKYRUN_RETURN_IF_ERROR(GetNumber(j, "preemption_rate", 1, &e->preemption_rate));
  return Status::Ok();
}

}  // namespace

bool IsDirectoryName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (name[0] == '.' || name[0] == '_' || name[0] == '-') return false;
  for (char c : name)
    if (!NameChar(c, false)) return false;
  return true;
}

bool IsDirectoryDetail(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!NameChar(c, true)) return false;
  return true;
}

Result<DirectoryEntry> ParseDirectoryUpdate(std::string_view body, const std::string& provider,
                                            const std::string& region) {
  if (!IsDirectoryName(provider)) return InvalidArgument("provider '" + provider + "' is not a valid name");
  if (!IsDirectoryName(region)) return InvalidArgument("region '" + region + "' is not a valid name");
  if (body.size() > 64 * 1024) {
    return InvalidArgument("a directory update is at most 64 KiB; this one is " +
                           std::to_string(body.size()) + " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (!j.is_object()) return InvalidArgument("request body must be a JSON object");
  SKYRUN_RETURN_IF_ERROR(CheckKnown(
      j, {"zone", "instance_type", "availability", "load", "price", "spot_price", "preemption_rate"}));
  DirectoryEntry e;
  e.provider = provider;
  e.region = region;
  SKYRUN_RETURN_IF_ERROR(ReadFigures(j, &e));
  if (!e.availability && !e.load && !e.price && !e.spot_price && !e.preemption_rate) {
    return InvalidArgument("give at least one of availability, load, price, spot_price, preemption_rate");
  }
  return e;
}

nlohmann::json DirectoryEntryToJson(const DirectoryEntry& e) {
  nlohmann::json j;
  j["provider"] = e.provider;
  j["region"] = e.region;
  j["zone"] = e.zone;
  j["instance_type"] = e.instance_type;
  auto put = [&](const char* key, const auto& v) {
    j[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  put("availability", e.availability);
  put("load", e.load);
  put("price", e.price);
  put("spot_price", e.spot_price);
  put("preemption_rate", e.preemption_rate);
  j["updated_at_us"] = e.updated_at;
  j["updated_by"] = e.updated_by;
  return j;
}

Result<DirectoryEntry> DirectoryEntryFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("a directory entry must be a JSON object");
  DirectoryEntry e;
  auto text = [&](const char* key, std::string* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
      return InvalidArgument(std::string("field '") + key + "' is missing");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  SKYRUN_RETURN_IF_ERROR(text("provider", &e.provider));
  SKYRUN_RETURN_IF_ERROR(text("region", &e.region));
  SKYRUN_RETURN_IF_ERROR(text("updated_by", &e.updated_by));
  if (!IsDirectoryName(e.provider) || !IsDirectoryName(e.region)) {
    return InvalidArgument("provider or region is not a valid name");
  }
  nlohmann::json figures = j;
  figures.erase("provider");
  figures.erase("region");
  figures.erase("updated_by");
  auto at = j.find("updated_at_us");
  if (at == j.end() || !at->is_number_integer()) return InvalidArgument("field 'updated_at_us' is missing");
  e.updated_at = at->get<int64_t>();
  figures.erase("updated_at_us");
  SKYRUN_RETURN_IF_ERROR(CheckKnown(
      figures, {"zone", "instance_type", "availability", "load", "price", "spot_price", "preemption_rate"}));
  SKYRUN_RETURN_IF_ERROR(ReadFigures(figures, &e));
  return e;
}

Status Directory::RoomLocked(const Key& key) const {
  if (entries_.count(key) == 0 && entries_.size() >= max_entries_) {
    return ResourceExhausted("the directory holds " + std::to_string(entries_.size()) +
                             " entries, its limit; update existing entries instead of adding new ones");
  }
  return Status::Ok();
}

Status Directory::CheckRoom(const DirectoryEntry& e) const {
  std::lock_guard<std::mutex> lock(mu_);
  return RoomLocked(Key{e.provider, e.region, e.zone, e.instance_type});
}

Status Directory::Put(DirectoryEntry entry) {
  Key key{entry.provider, entry.region, entry.zone, entry.instance_type};
  std::lock_guard<std::mutex> lock(mu_);
  SKYRUN_RETURN_IF_ERROR(RoomLocked(key));
  entries_[key] = std::move(entry);
  return Status::Ok();
}

std::optional<DirectoryEntry> Directory::Find(const std::string& provider, const std::string& region,
                                              const std::string& zone,
                                              const std::string& instance_type) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Key tries[] = {{provider, region, zone, instance_type},
                       {provider, region, "", instance_type},
                       {provider, region, zone, ""},
                       {provider, region, "", ""}};
  for (const Key& key : tries) {
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
  }
  return std::nullopt;
}

std::vector<DirectoryEntry> Directory::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DirectoryEntry> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry);
  return out;
}

size_t Directory::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace skyrun::catalog
