#include "optimizer/candidates.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/strings.h"
#include "expr/ads.h"
#include "expr/matcher.h"
#include "optimizer/offer_ad.h"
#include "optimizer/spot_model.h"

namespace skyrun {
namespace {

// What one instance must hold: tasks_per_node tasks' worth.
struct InstanceNeed {
  MilliCpu cpus_milli;
  bool cpus_exact = false;
  MemoryMiB memory_mib;
  bool memory_exact = false;
  std::vector<std::pair<std::string, int>> accelerators;  // model -> count per instance
  int any_gpu_count = 0;                                  // gpu_milli jobs: this many GPUs of any model
  MilliGpu any_gpu_milli;                                 // gpu_milli jobs: the share of GPU they pay for
};

InstanceNeed NeedOf(const JobSpec& stage) {
  const ResourceRequest& r = stage.resources;
  int per_instance = std::min(stage.tasks_per_node, std::max(1, stage.num_nodes));
  InstanceNeed need;
  need.cpus_milli = r.cpus_milli * per_instance;
  need.cpus_exact = r.cpus_exact;
  need.memory_mib = r.memory_mib * per_instance;
  need.memory_exact = r.memory_exact;
  for (const auto& [model, count] : r.accelerators)
    need.accelerators.emplace_back(model, count * per_instance);
  if (r.accelerators.empty() && r.gpu_milli.IsPositive())
    need.any_gpu_count =
        static_cast<int>(((r.gpu_milli * per_instance).raw() + kMilliPerUnit - 1) / kMilliPerUnit);
  if (r.accelerators.empty()) need.any_gpu_milli = r.gpu_milli * per_instance;
  return need;
}

// A cluster's node sold by share (Offer::by_share): it fits when it has at
// least what one instance needs; nullopt otherwise, else the share's price per
// hour (GPUs x price per GPU-hour + CPUs x price per CPU-hour, as accounting
// bills a task on it: scheduler/tasks.h HourlyPrice).
std::optional<double> SharePrice(const InstanceNeed& need, const Offer& offer) {
  if (offer.cpus < need.cpus_milli) return std::nullopt;
  if (need.memory_mib.IsPositive() && offer.memory < need.memory_mib) return std::nullopt;
  const double cpu = offer.price_per_cpu_hour * static_cast<double>(need.cpus_milli.raw()) / kMilliPerUnit;
  if (!need.accelerators.empty()) {
    for (const auto& [model, count] : need.accelerators)
      if (offer.accelerator_count >= count && EqualsIgnoreCase(offer.accelerator, model))
        return offer.price_per_gpu_hour * count + cpu;
    return std::nullopt;
  }
  if (need.any_gpu_count > 0) {
    if (offer.accelerator_count < need.any_gpu_count) return std::nullopt;
    return offer.price_per_gpu_hour * static_cast<double>(need.any_gpu_milli.raw()) / kMilliPerUnit + cpu;
  }
  if (offer.accelerator_count != 0) return std::nullopt;  // the node's CPU-only offer prices a CPU job
  return cpu;
}

bool Fits(const InstanceNeed& need, const Offer& offer) {
  if (offer.by_share) return SharePrice(need, offer).has_value();
  if (need.cpus_exact ? offer.cpus != need.cpus_milli : offer.cpus < need.cpus_milli) return false;
  if (need.memory_mib.IsPositive() &&
      (need.memory_exact ? offer.memory != need.memory_mib : offer.memory < need.memory_mib))
    return false;
  if (!need.accelerators.empty()) {
    // As SkyPilot: A100:8 means an instance with exactly 8 A100s; a model
    // name matches exactly (A100 is not A100-80GB), in any case.
    for (const auto& [model, count] : need.accelerators)
      if (offer.accelerator_count == count && EqualsIgnoreCase(offer.accelerator, model)) return true;
    return false;
  }
  if (need.any_gpu_count > 0) return offer.accelerator_count == need.any_gpu_count;
  return offer.accelerator_count == 0;  // a CPU job does not pay for GPUs
}

// Offers that differ only in zone collapse when everything priced is equal.
// The views point into the market's offers, which outlive the map.
struct CollapseKey {
  std::string_view provider, region, instance_type, accelerator;
  int accelerator_count;
  bool spot;
  double compute_cost;
  int64_t cpus, memory;
  bool operator==(const CollapseKey&) const = default;
};

struct CollapseHash {
  size_t operator()(const CollapseKey& k) const {
    std::hash<std::string_view> h;
    size_t v = h(k.provider);
    for (size_t part :
         {h(k.region), h(k.instance_type), std::hash<double>()(k.compute_cost), static_cast<size_t>(k.spot)})
      v = v * 1000003u ^ part;
    return v;
  }
};

}  // namespace

int InstancesFor(const JobSpec& stage) {
  int n = std::max(1, stage.num_nodes);
  int per = std::max(1, stage.tasks_per_node);
  return (n + per - 1) / per;
}

bool InfraAllowsPlace(const std::vector<std::string>& infra, const std::string& provider,
                      const std::string& region, const std::string& zone) {
  if (infra.empty()) return true;
  std::string place = provider + "/" + region;
  for (const std::string& allowed : infra) {
    if (allowed == provider || allowed == place || (!zone.empty() && allowed == place + "/" + zone))
      return true;
    // "slurm" allows the provider "slurm/hpc1".
    if (provider.size() > allowed.size() && provider.compare(0, allowed.size(), allowed) == 0 &&
        provider[allowed.size()] == '/')
      return true;
  }
  return false;
}

Result<std::vector<Candidate>> StageCandidates(const JobSpec& stage, double work_hours, const Market& market,
                                               const OptimizerParams& params, CandidateStats* stats) {
  if (stage.mode == JobMode::kPsWorker)
    return InvalidArgument("job " + stage.name +
                           ": ps-worker jobs are not planned yet (each role would need its own placement); "
                           "plan the workers as a gang instead");
  if (stage.mode == JobMode::kService)
    return InvalidArgument("job " + stage.name + ": services are not planned (they have no runtime to cost)");
  if (!market.offers) return InvalidArgument("the market has no offers");
  CandidateStats local_stats;
  CandidateStats& st = stats ? *stats : local_stats;

  expr::Schema job_schema;
  expr::Schema offer_schema;
  std::optional<expr::Matcher> matcher;
  std::optional<expr::Ad> job_ad;
  std::optional<OfferAdBuilder> ads;
  if (!stage.resources.requirements.empty()) {
    auto m = expr::Matcher::Create(stage.resources.requirements, "", job_schema, offer_schema);
    if (!m.ok()) return m.status().WithContext("job " + stage.name + ": resources.requirements");
    matcher.emplace(std::move(m).value());
    job_ad.emplace(expr::JobAd(stage, "", "", job_schema));
    ads.emplace(offer_schema);
  }
  expr::EvalScratch scratch;

  InstanceNeed need = NeedOf(stage);
  int instances = InstancesFor(stage);
  bool checkpoints = !stage.checkpoint_dir.empty();
  const SpotParams& sp = params.spot;

  std::vector<Candidate> out;
  std::unordered_map<CollapseKey, size_t, CollapseHash> collapsed;
  // Offers come grouped by region, so the last lookup is usually the one needed.
  const Offer* region_of = nullptr;
  const RegionInfo* region = nullptr;
  for (const Offer& offer : *market.offers) {
    ++st.offers;
    if (!Fits(need, offer)) {
      ++st.resources;
      continue;
    }
    if (!InfraAllowsPlace(stage.resources.infra, offer.provider, offer.region, offer.zone)) {
      ++st.infra;
      continue;
    }
    std::optional<expr::Ad> ad;
    for (bool spot : {false, true}) {
      if (spot && (!stage.resources.use_spot || !offer.spot_price)) continue;
      if (!spot && offer.spot_only) continue;
      double unit_price = spot ? *offer.spot_price : offer.price;
      if (offer.by_share) unit_price = *SharePrice(need, offer);  // what the job takes of the node
      if (matcher) {
        if (!ad) {
          if (market.find_region &&
              (!region_of || region_of->provider != offer.provider || region_of->region != offer.region)) {
            region = market.find_region(offer.provider, offer.region);
            region_of = &offer;
          }
          ad.emplace(ads->Build(offer, spot, region));
        } else if (spot) {
          ads->MakeSpot(offer, *ad);
        }
        if (!matcher->Match(*job_ad, *ad, nullptr, scratch).matched) {
          ++st.requirements;
          continue;
        }
      }
      Candidate c;
      c.offer = &offer;
      c.zones = {offer.zone};
      c.spot = spot;
      c.instances = instances;
      c.num_nodes = std::max(1, stage.num_nodes);
      c.hourly_price = unit_price * instances;
      if (stage.resources.max_hourly_cost && c.hourly_price > *stage.resources.max_hourly_cost) {
        ++st.max_hourly_cost;
        continue;
      }
      if (spot) {
        double rate = market.preemption_rate ? market.preemption_rate(offer) : -1;
        if (rate < 0) rate = sp.default_preemptions_per_hour;
        bool refund = std::find(sp.refund_first_hour_providers.begin(), sp.refund_first_hour_providers.end(),
                                offer.provider) != sp.refund_first_hour_providers.end();
        SpotEstimate e =
            EstimateSpot(work_hours, instances, rate, checkpoints ? sp.checkpoint_interval_hours : 0,
                         sp.restart_overhead_hours, refund);
        if (!e.finite) {
          ++st.spot_unfinishable;
          continue;
        }
        c.run_hours = e.wall_hours;
        c.compute_cost = unit_price * e.billed_instance_hours;
        c.revocations = e.revocations;
      } else {
        c.run_hours = work_hours;
        c.compute_cost = c.hourly_price * work_hours;
      }
      ++st.candidates;
      CollapseKey key{offer.provider,          offer.region, offer.instance_type, offer.accelerator,
                      offer.accelerator_count, spot,         c.compute_cost,      offer.cpus.raw(),
                      offer.memory.raw()};
      auto [it, inserted] = collapsed.emplace(key, out.size());
      if (!inserted) {
        if (!offer.zone.empty()) out[it->second].zones.push_back(offer.zone);
        continue;
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace skyrun
