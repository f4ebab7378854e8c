#include "drivers/simcloud/simcloud_config.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/strings.h"
#include "common/yaml_reader.h"

namespace skyrun {
namespace {

using Reader = YamlMapReader;

Result<Offer> ParseOffer(const Reader& r) {
  SKYRUN_RETURN_IF_ERROR(
      r.CheckKeys({"provider", "region", "zone", "instance_type", "accelerator", "accelerator_count",
                   "gpu_memory_mib", "cpus", "memory_gib", "price", "spot_price"}));
  Offer o;
  double cpus = 0, memory_gib = 0;
  std::optional<double> spot;
  SKYRUN_RETURN_IF_ERROR(r.Get("provider", &o.provider));
  SKYRUN_RETURN_IF_ERROR(r.Get("region", &o.region));
  SKYRUN_RETURN_IF_ERROR(r.Get("zone", &o.zone));
  SKYRUN_RETURN_IF_ERROR(r.Get("instance_type", &o.instance_type));
  SKYRUN_RETURN_IF_ERROR(r.Get("accelerator", &o.accelerator));
  SKYRUN_RETURN_IF_ERROR(r.Get("accelerator_count", &o.accelerator_count));
  SKYRUN_RETURN_IF_ERROR(r.Get("gpu_memory_mib", &o.gpu_memory_mib));
  SKYRUN_RETURN_IF_ERROR(r.Get("cpus", &cpus));
  SKYRUN_RETURN_IF_ERROR(r.Get("memory_gib", &memory_gib));
  SKYRUN_RETURN_IF_ERROR(r.Get("price", &o.price));
  SKYRUN_RETURN_IF_ERROR(r.GetOptional("spot_price", &spot));
  for (const char* key : {"provider", "region", "zone", "instance_type"}) {
    if (!r.node()[key]) return r.RefuseEntry(std::string("an offer needs a ") + key);
  }
  // Bounds far above any real instance keep the integer conversions exact.
  if (cpus <= 0) return r.Refuse("cpus", "must be positive (vCPUs of one instance)");
  if (cpus > 100000) return r.Refuse("cpus", "must be at most 100000");
  if (memory_gib <= 0) return r.Refuse("memory_gib", "must be positive (GiB of one instance)");
  if (memory_gib > 1e7) return r.Refuse("memory_gib", "must be at most 10000000");
  if (o.accelerator_count < 0 || o.accelerator_count > 1024) {
    return r.Refuse("accelerator_count", "must be 0..1024");
  }
  if (!std::isfinite(o.price) || o.price > 1e6) return r.Refuse("price", "must be a price in USD per hour");
  if (o.accelerator_count > 0 && o.accelerator.empty()) {
    return r.RefuseEntry("an offer with accelerators needs their model in `accelerator`, e.g. V100");
  }
  SKYRUN_RETURN_IF_ERROR(r.NonNegative("gpu_memory_mib", static_cast<double>(o.gpu_memory_mib)));
  SKYRUN_RETURN_IF_ERROR(r.NonNegative("price", o.price));
  if (spot) SKYRUN_RETURN_IF_ERROR(r.NonNegative("spot_price", *spot));
  o.spot_price = spot;
  o.cpus = MilliCpu(static_cast<int64_t>(cpus * 1000 + 0.5));
  o.memory = MemoryMiB(static_cast<int64_t>(memory_gib * 1024 + 0.5));
  return o;
}

Result<SimZoneConfig> ParseZone(const Reader& r) {
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"name", "instances", "gpus"}));
  SimZoneConfig z;
  SKYRUN_RETURN_IF_ERROR(r.Get("name", &z.name));
  SKYRUN_RETURN_IF_ERROR(r.Get("instances", &z.instances));
  SKYRUN_RETURN_IF_ERROR(r.GetOptional("gpus", &z.gpus));
  if (z.name.empty()) return r.RefuseEntry("a zone needs a name");
  for (const auto& [type, n] : z.instances) {
    if (n < 0) return r.Refuse("instances", "the count of " + type + " must not be negative");
  }
  if (z.gpus && *z.gpus < 0) return r.Refuse("gpus", "must not be negative");
  return z;
}

// The one of zone / region / provider an entry names, as its scope.
Status ReadTarget(const Reader& r, FailureScope* scope, std::string* target, bool zone_allowed) {
  int named = 0;
  std::vector<std::pair<const char*, FailureScope>> keys = {{"region", FailureScope::kRegion},
                                                            {"provider", FailureScope::kProvider}};
  if (zone_allowed) keys.insert(keys.begin(), {"zone", FailureScope::kZone});
  for (const auto& [key, s] : keys) {
    if (!r.node()[key]) continue;
    ++named;
    *scope = s;
    SKYRUN_RETURN_IF_ERROR(r.Get(key, target));
  }
  std::string which = zone_allowed ? "zone, region or provider" : "region or provider";
  if (named != 1) return r.RefuseEntry("name exactly one " + which + " (its scope)");
  if (target->empty()) return r.RefuseEntry("the " + which + " must not be empty");
  return Status::Ok();
}

Result<SimErrorRule> ParseErrorRule(const Reader& r) {
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"zone", "region", "provider", "kind", "refuse_first"}));
  SimErrorRule e;
  SKYRUN_RETURN_IF_ERROR(ReadTarget(r, &e.scope, &e.target, /*zone_allowed=*/true));
  std::string kind = "capacity";
  SKYRUN_RETURN_IF_ERROR(r.Get("kind", &kind));
  if (kind == "capacity") {
    e.kind = ProvisionErrorKind::kCapacity;
  } else if (kind == "quota") {
    e.kind = ProvisionErrorKind::kQuota;
  } else {
    return r.Refuse("kind", "must be capacity or quota, got '" + kind + "'");
  }
  SKYRUN_RETURN_IF_ERROR(r.Get("refuse_first", &e.refuse_first));
  if (e.refuse_first < 1) return r.Refuse("refuse_first", "must be at least 1 (requests refused)");
  return e;
}

Result<SimQuota> ParseQuota(const Reader& r) {
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"region", "provider", "max_instances", "max_gpus"}));
  SimQuota q;
  SKYRUN_RETURN_IF_ERROR(ReadTarget(r, &q.scope, &q.target, /*zone_allowed=*/false));
  SKYRUN_RETURN_IF_ERROR(r.GetOptional("max_instances", &q.max_instances));
  SKYRUN_RETURN_IF_ERROR(r.GetOptional("max_gpus", &q.max_gpus));
  if (!q.max_instances && !q.max_gpus) return r.RefuseEntry("a quota needs max_instances or max_gpus");
  if (q.max_instances && *q.max_instances < 0) return r.Refuse("max_instances", "must not be negative");
  if (q.max_gpus && *q.max_gpus < 0) return r.Refuse("max_gpus", "must not be negative");
  return q;
}

Status ParsePreemption(const Reader& r, SimPreemptionConfig* p) {
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"rate_per_hour", "seed", "notice_seconds", "recorded"}));
  SKYRUN_RETURN_IF_ERROR(r.Get("rate_per_hour", &p->rate_per_hour));
  SKYRUN_RETURN_IF_ERROR(r.Get("seed", &p->seed));
  SKYRUN_RETURN_IF_ERROR(r.Get("notice_seconds", &p->notice_seconds));
  SKYRUN_RETURN_IF_ERROR(r.NonNegative("rate_per_hour", p->rate_per_hour));
  SKYRUN_RETURN_IF_ERROR(r.NonNegative("notice_seconds", static_cast<double>(p->notice_seconds)));
  return r.ForEach("recorded", [&](const Reader& e) -> Status {
    SKYRUN_RETURN_IF_ERROR(e.CheckKeys({"instance", "at_seconds", "after_ready_seconds"}));
    SimRecordedPreemption rec;
    SKYRUN_RETURN_IF_ERROR(e.Get("instance", &rec.instance));
    SKYRUN_RETURN_IF_ERROR(e.Get("at_seconds", &rec.at_seconds));
    int64_t after_ready = -1;
    SKYRUN_RETURN_IF_ERROR(e.Get("after_ready_seconds", &after_ready));
    if (rec.instance.empty()) return e.RefuseEntry("a recorded preemption needs its instance, e.g. i-0001");
    SKYRUN_RETURN_IF_ERROR(e.NonNegative("at_seconds", static_cast<double>(rec.at_seconds)));
    if (after_ready >= 0) {
      if (rec.at_seconds != 0)
        return e.RefuseEntry("a recorded preemption takes at_seconds or after_ready_seconds, not both");
      rec.after_ready_seconds = after_ready;
    }
    p->recorded.push_back(rec);
    return Status::Ok();
  });
}

Result<SimCloudConfig> ParseEntry(const YAML::Node& node, const std::string& file, const std::string& path);

}  // namespace

Status ValidateSimCloudConfig(const SimCloudConfig& c) {
  if (c.name.empty()) return InvalidArgument("a simcloud needs a name");
  if (c.offers.empty()) return InvalidArgument("simcloud/" + c.name + " has no offers: list what it sells");
  std::set<std::string> zones, regions, providers, types, keys;
  for (const Offer& o : c.offers) {
    if (!keys.insert(o.provider + "/" + o.zone + "/" + o.instance_type).second) {
      return InvalidArgument("simcloud/" + c.name + ": the offer " + o.instance_type + " in " + o.zone +
                             " is listed twice");
    }
    if (o.zone.empty()) {
      return InvalidArgument("simcloud/" + c.name + ": the offer " + o.instance_type + " needs a zone");
    }
    zones.insert(o.zone);
    regions.insert(o.region);
    providers.insert(o.provider);
    types.insert(o.instance_type);
  }
  auto unknown = [&](const std::string& what, const std::string& name, const std::set<std::string>& known) {
    return InvalidArgument("simcloud/" + c.name + ": " + what + " '" + name + "' is in no offer (known: " +
                           Join(std::vector<std::string>(known.begin(), known.end()), ", ") + ")");
  };
  auto known_target = [&](FailureScope scope, const std::string& target) -> Status {
    switch (scope) {
      case FailureScope::kZone: return zones.count(target) ? Status::Ok() : unknown("zone", target, zones);
      case FailureScope::kRegion:
        return regions.count(target) ? Status::Ok() : unknown("region", target, regions);
      case FailureScope::kProvider:
        return providers.count(target) ? Status::Ok() : unknown("provider", target, providers);
    }
    return Status::Ok();
  };
  for (const SimZoneConfig& z : c.zones) {
    if (!zones.count(z.name)) return unknown("zone", z.name, zones);
    for (const auto& [type, n] : z.instances) {
      if (!types.count(type)) return unknown("instance type", type, types);
    }
  }
  for (const SimErrorRule& e : c.errors) SKYRUN_RETURN_IF_ERROR(known_target(e.scope, e.target));
  for (const SimQuota& q : c.quotas) SKYRUN_RETURN_IF_ERROR(known_target(q.scope, q.target));
  for (const SimPricePoint& p : c.spot_prices) {
    if (!types.count(p.instance_type)) return unknown("instance type", p.instance_type, types);
    if (!p.zone.empty() && !zones.count(p.zone)) return unknown("zone", p.zone, zones);
  }
  for (const SimPreprovision& p : c.provision) {
    if (!types.count(p.instance_type)) return unknown("instance type", p.instance_type, types);
    if (!p.zone.empty() && !zones.count(p.zone)) return unknown("zone", p.zone, zones);
    if (!p.region.empty() && !regions.count(p.region)) return unknown("region", p.region, regions);
    if (p.count < 1 || p.count > 10000) {
      return InvalidArgument("simcloud/" + c.name + ": provision count must be 1..10000");
    }
  }
  // Times up to ten years and finite prices and rates: the simulation's
  // arithmetic in microseconds then never overflows.
  constexpr int64_t kMaxSeconds = 10LL * 365 * 24 * 3600;
  auto bad_time = [](int64_t s) { return s < 0 || s > kMaxSeconds; };
  auto bad_price = [](double p) { return !std::isfinite(p) || p < 0 || p > 1e6; };
  const std::string self = "simcloud/" + c.name + ": ";
  if (bad_time(c.launch_delay_seconds))
    return InvalidArgument(self + "launch_delay_seconds must be 0..10 years");
  if (bad_time(c.preemption.notice_seconds))
    return InvalidArgument(self + "notice_seconds must be 0..10 years");
  if (!std::isfinite(c.preemption.rate_per_hour) || c.preemption.rate_per_hour < 0 ||
      c.preemption.rate_per_hour > 1e6) {
    return InvalidArgument(self + "preemption.rate_per_hour must be 0..1000000");
  }
  for (const SimRecordedPreemption& r : c.preemption.recorded) {
    if (bad_time(r.at_seconds))
      return InvalidArgument(self + "a recorded preemption's at_seconds must be 0..10 years");
  }
  for (const SimPricePoint& p : c.spot_prices) {
    if (bad_time(p.at_seconds) || bad_price(p.spot_price)) {
      return InvalidArgument(self + "a spot price point of " + p.instance_type +
                             " needs at_seconds of 0..10 years and a price of 0..1000000 USD/h");
    }
  }
  for (const Offer& o : c.offers) {
    if (bad_price(o.price) || (o.spot_price && bad_price(*o.spot_price))) {
      return InvalidArgument(self + "the offer " + o.instance_type + " in " + o.zone +
                             " needs prices of 0..1000000 USD/h");
    }
    if (o.cpus.raw() <= 0 || o.memory.raw() <= 0 || o.accelerator_count < 0) {
      return InvalidArgument(self + "the offer " + o.instance_type + " in " + o.zone +
                             " needs positive cpus and memory");
    }
  }
  if (c.inventory_interval_ms < 100 || c.inventory_interval_ms > 3600000) {
    return InvalidArgument("simcloud/" + c.name + ": inventory_interval_ms must be 100..3600000");
  }
  return Status::Ok();
}

Result<SimCloudConfig> ParseSimCloudConfig(const YAML::Node& node, const std::string& file,
                                           const std::string& path) {
  // yaml-cpp throws on what it cannot convert (a mapping used as a key, say):
  // turned into a located error here, at the module's edge.
  try {
    return ParseEntry(node, file, path);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(YamlWhere(file, node, path) + ": " + e.what());
  }
}

namespace {

Result<SimCloudConfig> ParseEntry(const YAML::Node& node, const std::string& file, const std::string& path) {
  const Reader r(node, file, path);
  SKYRUN_RETURN_IF_ERROR(r.CheckKeys({"name", "offers", "zones", "launch_delay_seconds", "errors", "quotas",
                                      "preemption", "spot_prices", "provision", "inventory_interval_ms"}));
  SimCloudConfig c;
  c.name.clear();
  SKYRUN_RETURN_IF_ERROR(r.Get("name", &c.name));
  if (c.name.empty()) return r.RefuseEntry("a simcloud needs a name (the backend is simcloud/<name>)");
  if (c.name.find('/') != std::string::npos) return r.Refuse("name", "must not contain '/'");
  SKYRUN_RETURN_IF_ERROR(r.Get("launch_delay_seconds", &c.launch_delay_seconds));
  SKYRUN_RETURN_IF_ERROR(r.NonNegative("launch_delay_seconds", static_cast<double>(c.launch_delay_seconds)));
  SKYRUN_RETURN_IF_ERROR(r.Get("inventory_interval_ms", &c.inventory_interval_ms));
  if (c.inventory_interval_ms < 100 || c.inventory_interval_ms > 3600000) {
    return r.Refuse("inventory_interval_ms", "must be 100..3600000 (milliseconds)");
  }
  if (!node["offers"]) return r.RefuseEntry("a simcloud needs `offers` (what it sells)");
  SKYRUN_RETURN_IF_ERROR(r.ForEach("offers", [&](const Reader& e) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(Offer o, ParseOffer(e));
    c.offers.push_back(std::move(o));
    return Status::Ok();
  }));
  SKYRUN_RETURN_IF_ERROR(r.ForEach("zones", [&](const Reader& e) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SimZoneConfig z, ParseZone(e));
    c.zones.push_back(std::move(z));
    return Status::Ok();
  }));
  SKYRUN_RETURN_IF_ERROR(r.ForEach("errors", [&](const Reader& e) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SimErrorRule rule, ParseErrorRule(e));
    c.errors.push_back(std::move(rule));
    return Status::Ok();
  }));
  SKYRUN_RETURN_IF_ERROR(r.ForEach("quotas", [&](const Reader& e) -> Status {
    SKYRUN_ASSIGN_OR_RETURN(SimQuota q, ParseQuota(e));
    c.quotas.push_back(std::move(q));
    return Status::Ok();
  }));
  if (node["preemption"]) {
    SKYRUN_RETURN_IF_ERROR(
        ParsePreemption(Reader(node["preemption"], file, r.Field("preemption")), &c.preemption));
  }
  SKYRUN_RETURN_IF_ERROR(r.ForEach("spot_prices", [&](const Reader& e) -> Status {
    SKYRUN_RETURN_IF_ERROR(e.CheckKeys({"instance_type", "zone", "at_seconds", "spot_price"}));
    SimPricePoint p;
    SKYRUN_RETURN_IF_ERROR(e.Get("instance_type", &p.instance_type));
    SKYRUN_RETURN_IF_ERROR(e.Get("zone", &p.zone));
    SKYRUN_RETURN_IF_ERROR(e.Get("at_seconds", &p.at_seconds));
    SKYRUN_RETURN_IF_ERROR(e.Get("spot_price", &p.spot_price));
    if (!e.node()["spot_price"]) return e.RefuseEntry("a price point needs its spot_price (USD per hour)");
    SKYRUN_RETURN_IF_ERROR(e.NonNegative("spot_price", p.spot_price));
    SKYRUN_RETURN_IF_ERROR(e.NonNegative("at_seconds", static_cast<double>(p.at_seconds)));
    c.spot_prices.push_back(p);
    return Status::Ok();
  }));
  SKYRUN_RETURN_IF_ERROR(r.ForEach("provision", [&](const Reader& e) -> Status {
    SKYRUN_RETURN_IF_ERROR(e.CheckKeys({"instance_type", "zone", "region", "count", "spot"}));
    SimPreprovision p;
    SKYRUN_RETURN_IF_ERROR(e.Get("instance_type", &p.instance_type));
    SKYRUN_RETURN_IF_ERROR(e.Get("zone", &p.zone));
    SKYRUN_RETURN_IF_ERROR(e.Get("region", &p.region));
    SKYRUN_RETURN_IF_ERROR(e.Get("count", &p.count));
    SKYRUN_RETURN_IF_ERROR(e.Get("spot", &p.spot));
    if (p.instance_type.empty()) return e.RefuseEntry("a provision entry needs its instance_type");
    if (p.zone.empty() && p.region.empty())
      return e.RefuseEntry("a provision entry needs a zone or a region");
    if (p.count < 1 || p.count > 10000) return e.Refuse("count", "must be 1..10000");
    c.provision.push_back(p);
    return Status::Ok();
  }));
  Status valid = ValidateSimCloudConfig(c);
  if (!valid.ok()) return InvalidArgument(YamlWhere(file, node, path) + ": " + valid.message());
  return c;
}

}  // namespace

}  // namespace skyrun
