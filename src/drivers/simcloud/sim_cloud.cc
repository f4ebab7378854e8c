#include "drivers/simcloud/sim_cloud.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/rng.h"

namespace skyrun {
namespace {

std::string InstanceId(int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "i-%04lld", static_cast<long long>(number));
  return buf;
}

bool Matches(FailureScope scope, const std::string& target, const Offer& o) {
  switch (scope) {
    case FailureScope::kZone: return o.zone == target;
    case FailureScope::kRegion: return o.region == target;
    case FailureScope::kProvider: return o.provider == target;
  }
  return false;
}

ProvisionError MakeError(ProvisionErrorKind kind, FailureScope scope, const Offer& o, std::string message) {
  ProvisionError e;
  e.kind = kind;
  e.scope = scope;
  e.provider = o.provider;
  e.region = o.region;
  if (scope == FailureScope::kZone) e.zone = o.zone;
  e.message = std::move(message);
  return e;
}

std::string ScopeTarget(FailureScope scope, const Offer& o) {
  switch (scope) {
    case FailureScope::kZone: return "zone " + o.zone;
    case FailureScope::kRegion: return "region " + o.region;
    case FailureScope::kProvider: return "provider " + o.provider;
  }
  return "";
}

// Whole seconds, rounded up: the cloud bills each started second.
Micros CeilToSecond(Micros d) {
  return (d + kMicrosPerSecond - 1) / kMicrosPerSecond * kMicrosPerSecond;
}

// What the cloud tells about an instance: a preemption is known from its
// notice on, as with a real provider (the books know it from the purchase).
Instance Visible(const Instance& in, bool noticed) {
  Instance out = in;
  if (!noticed) out.notice_at = out.preempt_at = 0;
  return out;
}

}  // namespace

Result<std::unique_ptr<SimCloud>> SimCloud::Create(SimCloudConfig config, Clock& clock) {
  SKYRUN_RETURN_IF_ERROR(ValidateSimCloudConfig(config));
  std::string books_path = config.books_path;
  std::optional<SimBooks> books;
  if (!books_path.empty()) {
    SKYRUN_ASSIGN_OR_RETURN(books, LoadSimBooks(books_path));
  }
  std::unique_ptr<SimCloud> cloud(new SimCloud(std::move(config), clock, books ? books->start : clock.Now()));
  cloud->books_path_ = std::move(books_path);
  if (books) {
    cloud->restored_ = true;
    cloud->held_ = std::move(books->held);
    cloud->events_ = std::move(books->events);
    // A config edited between runs: rules and price points are matched by position.
    for (size_t i = 0; i < cloud->refusals_.size() && i < books->refusals.size(); ++i)
      cloud->refusals_[i] = books->refusals[i];
    for (size_t i = 0; i < cloud->price_points_logged_.size() && i < books->price_points_logged.size(); ++i)
      cloud->price_points_logged_[i] = books->price_points_logged[i];
  } else if (!cloud->books_path_.empty()) {
    // The start is written at once: a restart before the first purchase keeps it.
    std::lock_guard<std::mutex> lock(cloud->mu_);
    cloud->dirty_ = true;
    cloud->SaveLocked();
    SKYRUN_RETURN_IF_ERROR(cloud->books_status_);
  }
  return cloud;
}

SimCloud::SimCloud(SimCloudConfig config, Clock& clock, Micros start)
    : config_(std::move(config)),
      clock_(clock),
      start_(start),
      refusals_(config_.errors.size(), 0),
      price_points_logged_(config_.spot_prices.size(), false) {}

void SimCloud::SaveLocked() {
  if (!dirty_ || books_path_.empty()) return;
  SimBooks books;
  books.start = start_;
  books.held = held_;
  books.events = events_;
  books.refusals = refusals_;
  books.price_points_logged = price_points_logged_;
  books_status_ = SaveSimBooks(books_path_, books);
  if (books_status_.ok()) dirty_ = false;
}

Status SimCloud::BooksStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  return books_status_;
}

std::optional<double> SimCloud::SpotPriceAt(const std::string& instance_type, const std::string& zone,
                                            Micros t) const {
  std::optional<double> price;
  for (const Offer& o : config_.offers) {
    if (o.instance_type == instance_type && o.zone == zone) price = o.spot_price;
  }
  if (!price) return std::nullopt;
  // The latest point at or before t wins; points for the zone and for every zone count alike.
  Micros best = -1;
  for (const SimPricePoint& p : config_.spot_prices) {
    if (p.instance_type != instance_type || (!p.zone.empty() && p.zone != zone)) continue;
    Micros at = start_ + p.at_seconds * kMicrosPerSecond;
    if (at <= t && at >= best) {
      best = at;
      price = p.spot_price;
    }
  }
  return price;
}

Micros SimCloud::PreemptionTime(int64_t number, Micros ready_at) const {
  for (const SimRecordedPreemption& r : config_.preemption.recorded) {
    if (r.instance == InstanceId(number)) {
      if (r.after_ready_seconds) return ready_at + *r.after_ready_seconds * kMicrosPerSecond;
      return std::max(ready_at, start_ + r.at_seconds * kMicrosPerSecond);
    }
  }
  return 0;
}

void SimCloud::AdvanceLocked(Micros now) {
  std::vector<CapacityEvent> fresh;
  auto log = [&](Micros t, CapacityEventKind kind, const std::string& id, std::string detail) {
    fresh.push_back(CapacityEvent{0, t, kind, id, std::move(detail)});
  };
  for (Held& h : held_) {
    Instance& in = h.inst;
    if (in.state == InstanceState::kTerminated) continue;
    if (!h.ready_logged && in.ready_at <= now) {
      h.ready_logged = true;
      in.state = InstanceState::kRunning;
      log(in.ready_at, CapacityEventKind::kReady, in.id, in.offer.instance_type + " in " + in.offer.zone);
    }
    if (in.preempt_at > 0 && !h.notice_logged && in.notice_at <= now) {
      h.notice_logged = true;
      in.state = InstanceState::kNoticed;
      log(in.notice_at, CapacityEventKind::kPreemptionNotice, in.id,
          "will be reclaimed at " + FormatTimestamp(in.preempt_at));
    }
    if (in.preempt_at > 0 && !h.end_logged && in.preempt_at <= now) {
      h.end_logged = true;
      in.state = InstanceState::kPreempted;
      in.ended_at = in.preempt_at;
      log(in.preempt_at, CapacityEventKind::kPreempted, in.id,
          std::string(in.spot ? "spot" : "on-demand") + " instance reclaimed by the provider");
    }
  }
  for (size_t i = 0; i < config_.spot_prices.size(); ++i) {
    const SimPricePoint& p = config_.spot_prices[i];
    Micros at = start_ + p.at_seconds * kMicrosPerSecond;
    if (price_points_logged_[i] || at > now) continue;
    price_points_logged_[i] = true;
    char price[32];
    std::snprintf(price, sizeof(price), "%.4f", p.spot_price);
    log(at, CapacityEventKind::kPriceChange, "",
        "spot price of " + p.instance_type + " in " + (p.zone.empty() ? "every zone" : p.zone) + " now " +
            price + " USD/h");
  }
  std::stable_sort(fresh.begin(), fresh.end(),
                   [](const CapacityEvent& a, const CapacityEvent& b) { return a.time < b.time; });
  for (CapacityEvent& e : fresh) {
    e.seq = static_cast<int64_t>(events_.size()) + 1;
    events_.push_back(std::move(e));
  }
  // Every change to an instance's state is logged with an event: nothing new logged, nothing to write.
  if (!fresh.empty()) dirty_ = true;
  SaveLocked();
}

std::vector<Offer> SimCloud::Offers() {
  Micros now = clock_.Now();
  std::vector<Offer> out = config_.offers;
  for (Offer& o : out) o.spot_price = SpotPriceAt(o.instance_type, o.zone, now);
  return out;
}

std::optional<ProvisionError> SimCloud::CheckLocked(const Offer& offer, const ProvisionRequest& request) {
  // Configured refusals first: "zone Z refuses the first K requests".
  for (size_t i = 0; i < config_.errors.size(); ++i) {
    const SimErrorRule& rule = config_.errors[i];
    if (!Matches(rule.scope, rule.target, offer) || refusals_[i] >= rule.refuse_first) continue;
    ++refusals_[i];
    dirty_ = true;
    const char* what = rule.kind == ProvisionErrorKind::kQuota ? "quota exceeded" : "insufficient capacity";
    return MakeError(rule.kind, rule.scope, offer,
                     std::string(what) + " for " + offer.instance_type + " in " +
                         ScopeTarget(rule.scope, offer) + " (configured refusal " +
                         std::to_string(refusals_[i]) + " of " + std::to_string(rule.refuse_first) + ")");
  }
  int64_t count = request.count;
  int64_t gpus = count * offer.accelerator_count;
  auto held_in = [&](auto&& pick) {
    int64_t instances = 0, held_gpus = 0;
    for (const Held& h : held_) {
      if (IsGone(h.inst.state) || !pick(h.inst.offer)) continue;
      ++instances;
      held_gpus += h.inst.offer.accelerator_count;
    }
    return std::pair<int64_t, int64_t>(instances, held_gpus);
  };
  for (const SimQuota& q : config_.quotas) {
    if (!Matches(q.scope, q.target, offer)) continue;
    auto [instances, held_gpus] = held_in([&](const Offer& o) { return Matches(q.scope, q.target, o); });
    if (q.max_instances && instances + count > *q.max_instances) {
      return MakeError(ProvisionErrorKind::kQuota, q.scope, offer,
                       "quota exceeded in " + ScopeTarget(q.scope, offer) + ": " + std::to_string(instances) +
                           " instance(s) held, " + std::to_string(count) + " more asked, limit " +
                           std::to_string(*q.max_instances));
    }
    if (q.max_gpus && held_gpus + gpus > *q.max_gpus) {
      return MakeError(ProvisionErrorKind::kQuota, q.scope, offer,
                       "GPU quota exceeded in " + ScopeTarget(q.scope, offer) + ": " +
                           std::to_string(held_gpus) + " GPU(s) held, " + std::to_string(gpus) +
                           " more asked, limit " + std::to_string(*q.max_gpus));
    }
  }
  for (const SimZoneConfig& z : config_.zones) {
    if (z.name != offer.zone) continue;
    auto it = z.instances.find(offer.instance_type);
    if (it != z.instances.end()) {
      auto [instances, unused] =
          held_in([&](const Offer& o) { return o.zone == z.name && o.instance_type == offer.instance_type; });
      if (instances + count > it->second) {
        return MakeError(ProvisionErrorKind::kCapacity, FailureScope::kZone, offer,
                         "insufficient capacity for " + offer.instance_type + " in zone " + z.name + ": " +
                             std::to_string(it->second - instances) + " free, " + std::to_string(count) +
                             " asked");
      }
    }
    if (z.gpus) {
      auto [unused, held_gpus] = held_in([&](const Offer& o) { return o.zone == z.name; });
      if (held_gpus + gpus > *z.gpus) {
        return MakeError(ProvisionErrorKind::kCapacity, FailureScope::kZone, offer,
                         "insufficient GPU capacity in zone " + z.name + ": " +
                             std::to_string(*z.gpus - held_gpus) + " GPU(s) free, " + std::to_string(gpus) +
                             " asked");
      }
    }
  }
  return std::nullopt;
}

ProvisionOutcome SimCloud::Provision(const ProvisionRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  Micros now = clock_.Now();
  AdvanceLocked(now);
  ProvisionOutcome out;
  Offer wanted;
  wanted.provider = request.provider;
  wanted.region = request.region;
  wanted.zone = request.zone;
  auto refuse = [&](std::string message) {
    out.error = MakeError(ProvisionErrorKind::kOther, FailureScope::kZone, wanted, std::move(message));
    return out;
  };
  if (request.count < 1 || request.count > 10000) {
    return refuse("asked for " + std::to_string(request.count) + " instances; expected 1..10000");
  }
  std::vector<const Offer*> candidates;
  for (const Offer& o : config_.offers) {
    if (o.instance_type != request.instance_type) continue;
    if (!request.provider.empty() && o.provider != request.provider) continue;
    if (!request.region.empty() && o.region != request.region) continue;
    if (!request.zone.empty() && o.zone != request.zone) continue;
    if (request.spot && !o.spot_price) continue;
    candidates.push_back(&o);
  }
  if (candidates.empty()) {
    std::string where =
        request.zone.empty() ? (request.region.empty() ? "any region" : request.region) : request.zone;
    return refuse(PoolName() + " has no " + std::string(request.spot ? "spot " : "") + "offer of " +
                  request.instance_type + " in " + where);
  }
  // Without a zone, the cloud tries the region's zones in order (as AWS
  // does with a subnet list); the last refusal is what the caller sees.
  for (const Offer* offer : candidates) {
    std::optional<ProvisionError> error = CheckLocked(*offer, request);
    if (error) {
      out.error = std::move(error);
      continue;
    }
    out.error.reset();
    const size_t first = held_.size();
    for (int i = 0; i < request.count; ++i) {
      Held h;
      Instance& in = h.inst;
      int64_t number = static_cast<int64_t>(held_.size()) + 1;
      in.id = InstanceId(number);
      in.offer = *offer;
      in.spot = request.spot;
      in.job_id = request.job_id;
      in.requested_at = now;
      in.ready_at = now + config_.launch_delay_seconds * kMicrosPerSecond;
      in.preempt_at = PreemptionTime(number, in.ready_at);
      if (in.preempt_at == 0 && in.spot && config_.preemption.rate_per_hour > 0) {
        // Exponential lifetime from a generator of its own, so that the draw
        // of instance n does not depend on what else was bought.
        Rng rng(config_.preemption.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(number));
        double hours = -std::log(1.0 - rng.Uniform01()) / config_.preemption.rate_per_hour;
        double micros = std::min(hours * static_cast<double>(kMicrosPerHour), 1e15);  // capped at ~30 years
        in.preempt_at = in.ready_at + std::max<Micros>(kMicrosPerSecond, static_cast<Micros>(micros));
      }
      if (in.preempt_at > 0) {
        in.notice_at =
            std::max(in.ready_at, in.preempt_at - config_.preemption.notice_seconds * kMicrosPerSecond);
      }
      held_.push_back(std::move(h));
    }
    dirty_ = true;
    AdvanceLocked(now);  // a launch without delay is ready at once (and the books are written)
    for (size_t i = first; i < held_.size(); ++i) {
      out.instances.push_back(Visible(held_[i].inst, held_[i].notice_logged));
    }
    return out;
  }
  SaveLocked();  // the configured refusals counted
  return out;
}

Status SimCloud::Terminate(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Micros now = clock_.Now();
  AdvanceLocked(now);
  for (Held& h : held_) {
    if (h.inst.id != instance_id) continue;
    if (IsGone(h.inst.state)) return Status::Ok();
    h.inst.state = InstanceState::kTerminated;
    h.inst.ended_at = now;
    h.end_logged = true;
    events_.push_back(CapacityEvent{static_cast<int64_t>(events_.size()) + 1, now,
                                    CapacityEventKind::kTerminated, instance_id, "given back"});
    dirty_ = true;
    SaveLocked();
    return Status::Ok();
  }
  return NotFound(PoolName() + " has no instance " + instance_id);
}

std::vector<Instance> SimCloud::Instances() {
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(clock_.Now());
  std::vector<Instance> out;
  out.reserve(held_.size());
  for (const Held& h : held_) out.push_back(Visible(h.inst, h.notice_logged));
  return out;
}

Result<Instance> SimCloud::Get(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(clock_.Now());
  for (const Held& h : held_) {
    if (h.inst.id == instance_id) return Visible(h.inst, h.notice_logged);
  }
  return NotFound(PoolName() + " has no instance " + instance_id);
}

std::vector<CapacityEvent> SimCloud::EventsSince(int64_t after_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceLocked(clock_.Now());
  std::vector<CapacityEvent> out;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(0, after_seq)); i < events_.size(); ++i) {
    out.push_back(events_[i]);
  }
  return out;
}

BillingRecord SimCloud::BillLocked(const Instance& in, Micros now) const {
  BillingRecord r;
  r.instance_id = in.id;
  r.provider = in.offer.provider;
  r.region = in.offer.region;
  r.zone = in.offer.zone;
  r.instance_type = in.offer.instance_type;
  r.spot = in.spot;
  r.job_id = in.job_id;
  r.start = in.ready_at;
  r.open = in.ended_at == 0;
  // Billed from the moment the instance runs; each started second counts,
  // so the end of a finished instance is rounded up to a whole second.
  Micros end = r.open ? now : r.start + CeilToSecond(std::max<Micros>(0, in.ended_at - r.start));
  r.end = std::max(r.start, end);
  if (r.end <= r.start) {
    r.end = r.start;
    return r;
  }
  // Price changes inside [start, end): on demand never changes (its launch
  // price holds), spot follows the recorded series from each change on.
  std::vector<Micros> cuts = {r.start};
  if (in.spot) {
    for (const SimPricePoint& p : config_.spot_prices) {
      if (p.instance_type != in.offer.instance_type || (!p.zone.empty() && p.zone != in.offer.zone)) continue;
      Micros at = start_ + p.at_seconds * kMicrosPerSecond;
      if (at > r.start && at < r.end) cuts.push_back(at);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  cuts.push_back(r.end);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    BillingInterval iv;
    iv.start = cuts[i];
    iv.end = cuts[i + 1];
    iv.hourly_price =
        in.spot ? SpotPriceAt(in.offer.instance_type, in.offer.zone, iv.start).value_or(0) : in.offer.price;
    iv.cost_usd =
        iv.hourly_price * static_cast<double>(iv.end - iv.start) / static_cast<double>(kMicrosPerHour);
    r.cost_usd += iv.cost_usd;
    r.intervals.push_back(iv);
  }
  return r;
}

std::vector<BillingRecord> SimCloud::Billing() {
  std::lock_guard<std::mutex> lock(mu_);
  Micros now = clock_.Now();
  AdvanceLocked(now);
  std::vector<BillingRecord> out;
  for (const Held& h : held_) {
    // An instance given back before it ever ran costs nothing.
    if (h.inst.ready_at > now || (h.inst.ended_at != 0 && h.inst.ended_at < h.inst.ready_at)) continue;
    out.push_back(BillLocked(h.inst, now));
  }
  return out;
}

}  // namespace skyrun
