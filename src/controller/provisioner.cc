#include "controller/provisioner.h"

#include <algorithm>
#include <chrono>

#include "common/check.h"
#include "common/strings.h"

namespace skyrun {

namespace {

// A round stops after this many refusals even if offers are left: each
// refusal blocks at least one zone, so this bounds a round over a big catalog.
constexpr int kMaxRefusalsPerRound = 32;

}  // namespace

std::string DescribeHeld(const HeldBlock& held) {
  return held.block.Describe() + " until " + FormatTimestamp(held.until);
}

Provisioner::Provisioner(std::vector<Pool> pools, Market world, Store* store, Clock* clock,
                         std::function<void()> notify, Logger* log, BlockHold hold)
    : pools_(std::move(pools)),
      hold_(hold),
      world_(std::move(world)),
      store_(store),
      clock_(clock),
      notify_(std::move(notify)),
      log_(log ? log : NullLogger()) {
  LoadHeld();
  thread_ = std::thread([this] { Run(); });
}

void Provisioner::LoadHeld() {
  auto rows = store_->ListHeldBlocks(clock_->Now());
  if (!rows.ok()) {
    log_->Warn("provisioner: reading the held blocks failed, starting with none: " +
               rows.status().ToString());
    return;
  }
  std::lock_guard<std::mutex> lock(held_mu_);
  for (const HeldBlockRow& row : *rows) {
    HeldBlock h;
    h.block.scope = row.scope == "provider" ? FailureScope::kProvider
                    : row.scope == "region" ? FailureScope::kRegion
                                            : FailureScope::kZone;
    h.block.provider = row.provider;
    h.block.region = row.region;
    h.block.zone = row.zone;
    h.block.why = row.why;
    h.until = row.until;
    held_.push_back(std::move(h));
  }
  if (!held_.empty()) log_->Info("provisioner: " + std::to_string(held_.size()) + " block(s) still held");
}

void Provisioner::SaveHeld(const HeldBlock& h) {
  HeldBlockRow row;
  row.scope = FailureScopeName(h.block.scope);
  row.provider = h.block.provider;
  row.region = h.block.region;
  row.zone = h.block.zone;
  row.why = h.block.why;
  row.until = h.until;
  // The block holds in memory either way; a failed write only forgets it at a restart.
  if (Status s = store_->SaveHeldBlock(row); !s.ok())
    log_->Warn("provisioner: keeping the block of " + h.block.Describe() + " failed: " + s.ToString());
}

Provisioner::~Provisioner() {
  Stop();
}

void Provisioner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Provisioner::RequestPlan(PlanOrder order) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Work w;
    w.plan = std::move(order);
    work_.push_back(std::move(w));
  }
  cv_.notify_all();
}

void Provisioner::RequestTerminate(const std::string& backend, std::vector<std::string> instance_ids) {
  if (instance_ids.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Work w;
    w.backend = backend;
    w.terminate = std::move(instance_ids);
    work_.push_back(std::move(w));
  }
  cv_.notify_all();
}

std::vector<PriceNote> Provisioner::TakePriceNotes() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PriceNote> out;
  out.swap(price_notes_);
  return out;
}

std::vector<PlanAnswer> Provisioner::TakeAnswers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PlanAnswer> out;
  out.swap(answers_);
  return out;
}

bool Provisioner::WaitIdle(Micros timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::microseconds(timeout), [this] { return work_.empty() && !busy_; });
}

void Provisioner::Run() {
  while (true) {
    Work w;
    {
      std::unique_lock<std::mutex> lock(mu_);
      busy_ = false;
      cv_.notify_all();
      // Woken by work, or every second to look for price changes.
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || !work_.empty(); });
      if (stop_) return;
      if (work_.empty()) {
        busy_ = true;
        lock.unlock();
        std::vector<PriceNote> notes = SweepPrices();
        lock.lock();
        bool any = !notes.empty();
        price_notes_.insert(price_notes_.end(), notes.begin(), notes.end());
        lock.unlock();
        if (any && notify_) notify_();
        continue;
      }
      w = std::move(work_.front());
      work_.pop_front();
      busy_ = true;
    }
    if (w.plan) {
      PlanAnswer answer = Plan(*w.plan);
      {
        std::lock_guard<std::mutex> lock(mu_);
        answers_.push_back(std::move(answer));
      }
      if (notify_) notify_();
      continue;
    }
    CapacityPool* pool = PoolOf(w.backend);
    if (!pool) continue;
    for (const std::string& id : w.terminate) {
      Status s = pool->Terminate(id);
      if (s.ok()) {
        log_->Info("provisioner: gave back instance " + id + " of " + w.backend);
      } else {
        log_->Warn("provisioner: giving back instance " + id + " of " + w.backend +
                   " failed: " + s.ToString());
      }
    }
  }
}

CapacityPool* Provisioner::PoolOf(const std::string& backend) const {
  for (const Pool& p : pools_)
    if (p.backend == backend) return p.pool;
  return nullptr;
}

void Provisioner::Record(const ProvisionTry& t) {
  // The history is for people; a failed write loses a line of it, not the job.
  if (Status s = store_->RecordProvisionTry(t); !s.ok())
    log_->Warn("provisioner: recording a try for job " + t.job.ToString() + " failed: " + s.ToString());
}

std::vector<HeldBlock> Provisioner::HeldBlocks() const {
  const Micros now = clock_->Now();
  std::lock_guard<std::mutex> lock(held_mu_);
  std::vector<HeldBlock> out;
  for (const HeldBlock& h : held_)
    if (h.until > now) out.push_back(h);
  return out;
}

Micros Provisioner::Hold(const Block& b, ProvisionErrorKind kind, Micros now) {
  const Micros hold = kind == ProvisionErrorKind::kCapacity ? hold_.capacity
                      : kind == ProvisionErrorKind::kQuota  ? hold_.quota
                                                            : 0;
  if (hold <= 0) return 0;
  HeldBlock kept;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    held_.erase(
        std::remove_if(held_.begin(), held_.end(), [&](const HeldBlock& h) { return h.until <= now; }),
        held_.end());
    auto it = std::find_if(held_.begin(), held_.end(), [&](const HeldBlock& h) { return h.block == b; });
    if (it != held_.end()) {
      it->until = std::max(it->until, now + hold);
      it->block.why = b.why;
      kept = *it;
    } else {
      held_.push_back({b, now + hold});
      kept = held_.back();
    }
  }
  SaveHeld(kept);
  return kept.until;
}

PlanAnswer Provisioner::Plan(const PlanOrder& order) {
  PlanAnswer answer;
  answer.job = order.job;
  answer.attempt_no = order.attempt_no;
  std::vector<BrokerOffer> offers = ClusterBrokerOffers(order.nodes, order.usage);
  for (const Pool& p : pools_) {
    std::vector<BrokerOffer> sold = PoolBrokerOffers(p.backend, p.pool->Offers());
    offers.insert(offers.end(), sold.begin(), sold.end());
  }
  BrokerRequest request = order.request;
  // What earlier rounds (of any job) refused and still holds.
  const std::vector<HeldBlock> held = HeldBlocks();
  for (const HeldBlock& h : held)
    if (std::find(request.blocks.begin(), request.blocks.end(), h.block) == request.blocks.end())
      request.blocks.push_back(h.block);
  // Why nothing is left, with what blocks it: held blocks with their expiry,
  // the job's own (eager_next_region) for its life.
  auto blocks_text = [&]() {
    std::vector<std::string> parts;
    for (const HeldBlock& h : held) parts.push_back(DescribeHeld(h));
    for (const Block& b : order.request.blocks) parts.push_back(b.Describe() + " for this job's life");
    return parts.empty() ? std::string() : "; blocked: " + Join(parts, ", ");
  };
  while (true) {
    ProvisionTry t;
    t.job = order.job;
    t.attempt_no = order.attempt_no;
    t.at = clock_->Now();
    Result<PlacementChoice> choice = ChoosePlacement(request, offers, world_);
    if (!choice.ok()) {
      answer.choice.explanation = choice.status().message();
      t.outcome = "none";
      t.detail = answer.choice.explanation;
      Record(t);
      return answer;
    }
    const PlacementChoice& c = *choice;
    t.backend = c.backend;
    t.provider = c.offer.provider;
    t.region = c.offer.region;
    t.zone = c.offer.zone;
    t.instance_type = c.offer.instance_type;
    t.spot = c.spot;
    t.count = c.instances;
    t.hourly_price = c.hourly_price;
    if (c.kind == PlacementChoice::Kind::kNone || answer.refusals >= kMaxRefusalsPerRound) {
      answer.choice = c;
      answer.choice.kind = PlacementChoice::Kind::kNone;
      if (c.kind != PlacementChoice::Kind::kNone)
        answer.choice.explanation =
            "gave up after " + std::to_string(answer.refusals) + " refusals in one round";
      t.outcome = "none";
      t.detail = answer.choice.explanation + blocks_text();
      Record(t);
      return answer;
    }
    if (c.kind == PlacementChoice::Kind::kCluster) {
      answer.choice = c;
      t.outcome = "cluster";
      t.detail = c.explanation;
      // A registered cluster taken at once is the placement itself; after
      // refusals it ends the history of what was tried.
      if (answer.refusals > 0) Record(t);
      return answer;
    }
    CapacityPool* pool = PoolOf(c.backend);
    SKYRUN_CHECK(pool != nullptr);
    // A ps-worker job buys each role's instances (all or none of them).
    std::vector<RoleChoice> buys = c.roles;
    if (buys.empty()) buys.push_back(RoleChoice{"", c.offer, c.spot, c.instances, c.hourly_price});
    std::vector<std::string> bought;
    ProvisionOutcome got;
    const RoleChoice* failed = nullptr;
    for (const RoleChoice& role : buys) {
      ProvisionRequest buy;
      buy.provider = role.offer.provider;
      buy.region = role.offer.region;
      buy.zone = role.offer.zone;
      buy.instance_type = role.offer.instance_type;
      buy.count = role.instances;
      buy.spot = role.spot;
      buy.job_id = order.job;
      got = pool->Provision(buy);
      if (!got.ok()) {
        failed = &role;
        break;
      }
      for (const Instance& in : got.instances) {
        bought.push_back(in.id);
        if (role.spot && role.offer.spot_price) last_price_[{c.backend, in.id}] = *role.offer.spot_price;
      }
    }
    if (!failed) {
      answer.choice = c;
      answer.instance_ids = bought;
      t.outcome = "provisioned";
      t.detail = Join(answer.instance_ids, ", ");
      Record(t);
      log_->Info("provisioner: job " + order.job.ToString() + ": bought " + t.detail + " (" +
                 c.offer.instance_type + (c.spot ? ", spot" : "") + ") in " + c.offer.provider + "/" +
                 c.offer.region + "/" + c.offer.zone);
      return answer;
    }
    for (const std::string& id : bought) {  // all or none: the roles bought before give theirs back
      if (Status s = pool->Terminate(id); !s.ok())
        log_->Warn("provisioner: giving back instance " + id + " failed: " + s.ToString());
    }
    const ProvisionError& e = *got.error;
    Block b;
    b.scope = e.scope;
    b.provider = e.provider.empty() ? failed->offer.provider : e.provider;
    b.region = e.region.empty() ? failed->offer.region : e.region;
    if (b.scope == FailureScope::kZone) b.zone = e.zone.empty() ? failed->offer.zone : e.zone;
    b.why = std::string(ProvisionErrorKindName(e.kind)) + " error";
    request.blocks.push_back(b);
    answer.blocked.push_back(b);
    answer.refusals++;
    const Micros until = Hold(b, e.kind, t.at);
    t.outcome = ProvisionErrorKindName(e.kind);
    t.detail = e.message;
    t.blocked = until > 0 ? DescribeHeld({b, until}) : b.Describe() + " (this round)";
    Record(t);
    log_->Info("provisioner: job " + order.job.ToString() + ": " + e.message + "; blocked " + t.blocked);
  }
}

std::vector<PriceNote> Provisioner::SweepPrices() {
  std::vector<PriceNote> notes;
  for (const Pool& p : pools_) {
    int64_t& cursor = event_cursor_[p.backend];
    std::vector<CapacityEvent> events = p.pool->EventsSince(cursor);
    Micros changed_at = -1;
    for (const CapacityEvent& e : events) {
      cursor = std::max(cursor, e.seq);
      if (e.kind == CapacityEventKind::kPriceChange) changed_at = std::max(changed_at, e.time);
    }
    if (changed_at < 0) continue;
    const std::vector<Offer> offers = p.pool->Offers();
    for (const Instance& in : p.pool->Instances()) {
      if (!in.spot || IsGone(in.state) || in.job_id.value() == 0) continue;
      auto last = last_price_.find({p.backend, in.id});
      if (last == last_price_.end()) continue;  // not one this provisioner bought
      for (const Offer& o : offers) {
        if (o.instance_type != in.offer.instance_type || o.zone != in.offer.zone || !o.spot_price) continue;
        if (*o.spot_price != last->second) {
          last->second = *o.spot_price;
          notes.push_back({in.job_id, p.backend, in.id, changed_at, *o.spot_price});
        }
        break;
      }
    }
  }
  return notes;
}

}  // namespace skyrun
