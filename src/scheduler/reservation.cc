#include "scheduler/reservation.h"

#include <algorithm>

#include "common/strings.h"

namespace skyrun {

namespace {

void Book(const Placement& p, Fleet& fleet) {
  for (const TaskPlacement& t : p.tasks) fleet.Reserve(t);
}

void Unbook(const Placement& p, Fleet& fleet) {
  for (const TaskPlacement& t : p.tasks) fleet.Unreserve(t);
}

// Gives back what the running jobs with an expected end hold, in the order
// they end, up to any point, and takes it again.
class Releaser {
 public:
  explicit Releaser(Fleet& fleet) : fleet_(fleet) {
    for (const auto& [job, holder] : fleet.holders())
      if (holder.expected_end) order_.push_back({*holder.expected_end, job, &holder});
    std::sort(order_.begin(), order_.end(),
              [](const Entry& a, const Entry& b) { return a.end != b.end ? a.end < b.end : a.job < b.job; });
    given_.resize(order_.size());
  }
  ~Releaser() { MoveTo(0); }
  Releaser(const Releaser&) = delete;
  Releaser& operator=(const Releaser&) = delete;

  size_t size() const { return order_.size(); }
  Micros EndOf(size_t k) const { return order_[k].end; }

  // The first `k` holders given back, the others held.
  void MoveTo(size_t k) {
    while (released_ < k) {
      for (const TaskPlacement& t : order_[released_].holder->tasks) {
        // A holder that no longer matches the books is not trusted (fleet.h).
        if (!fleet_.Holds(t)) continue;
        fleet_.Unreserve(t);
        given_[released_].push_back(&t);
      }
      ++released_;
    }
    while (released_ > k) {
      --released_;
      for (const TaskPlacement* t : given_[released_]) fleet_.Reserve(*t);
      given_[released_].clear();
    }
  }

 private:
  struct Entry {
    Micros end;
    JobId job;
    const Fleet::Holder* holder;
  };
  Fleet& fleet_;
  std::vector<Entry> order_;
  std::vector<std::vector<const TaskPlacement*>> given_;
  size_t released_ = 0;
};

// How many of the placement's GPUs something holds in `fleet` now.
int64_t BusyGpus(const Placement& p, const Fleet& fleet) {
  int64_t busy = 0;
  for (const TaskPlacement& t : p.tasks) {
    NodeIndex i = fleet.IndexOf(t.node);
    if (i == kNoNode) continue;
    const Node& n = fleet.node(i);
    for (int idx : t.gpu_indices)
      for (size_t pos = 0; pos < n.gpus.size(); ++pos)
        if (n.gpus[pos].index == idx && fleet.GpuUsed(i, pos).raw() > 0) ++busy;
  }
  return busy;
}

// Where a reservation is, for people: the placement, or for a big gang its
// node count and the first few nodes.
std::string Where(const Placement& p) {
  constexpr size_t kShown = 3;
  if (p.tasks.size() <= kShown + 1) return p.Describe();
  std::vector<std::string> names;
  for (size_t i = 0; i < kShown; ++i) names.push_back(p.tasks[i].node);
  return p.backend + ": " + std::to_string(p.tasks.size()) + " tasks (" + Join(names, ", ") + ", ...)";
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

}  // namespace

std::string DescribeReservation(const Reservation& r) {
  if (r.start) return "reserved from " + FormatTimestamp(*r.start) + " on " + Where(r.placement);
  std::string what =
      r.gpus_busy > 0 ? std::to_string(r.gpus_busy) + (r.gpus_busy == 1 ? " GPU" : " GPUs") : "capacity";
  return "waits for " + what +
         " held by jobs with no time limit (no start can be estimated); held for it: " + Where(r.placement);
}

std::optional<Reservation> ReservationBook::Plan(JobId job, const std::string& name, Fleet& fleet, Micros now,
                                                 const TryPlace& try_place) {
  Reservation r;
  r.job = job;
  r.name = name;
  {
    Releaser releaser(fleet);
    auto fits_at = [&](size_t k) -> std::optional<Placement> {
      releaser.MoveTo(k);
      std::optional<Placement> p = try_place(fleet);
      if (p) Unbook(*p, fleet);
      return p;
    };
    // Ends shared by several holders free their capacity together: only the
    // last index of each distinct end is a point in time to try.
    std::vector<size_t> points;
    for (size_t k = 0; k < releaser.size(); ++k)
      if (k + 1 == releaser.size() || releaser.EndOf(k + 1) != releaser.EndOf(k)) points.push_back(k + 1);
    if (!points.empty()) {
      if (std::optional<Placement> all = fits_at(points.back())) {
        // The earliest point it fits at, by binary search over the points:
        // more capacity given back does not make a job fit worse (for a
        // greedy gang plan nearly always so); wherever the search stops, the
        // job fits there. `best` is always the placement found at points[hi].
        size_t lo = 0, hi = points.size() - 1;
        Placement best = std::move(*all);
        while (lo < hi) {
          size_t mid = lo + (hi - lo) / 2;
          if (std::optional<Placement> p = fits_at(points[mid])) {
            best = std::move(*p);
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        r.start = std::max(now, releaser.EndOf(points[lo] - 1));
        r.placement = std::move(best);
      }
    }
  }
  if (r.start) return r;
  // Even once every job with a time limit has ended it does not fit: it
  // waits for jobs with none. Plan it on the emptied fleet, with what is
  // held for jobs before it still held.
  if (!empty_) empty_ = std::make_unique<Fleet>(fleet.EmptyCopy());
  for (const Reservation& h : held_) Book(h.placement, *empty_);
  std::optional<Placement> p = try_place(*empty_);
  if (p) Unbook(*p, *empty_);
  for (const Reservation& h : held_) Unbook(h.placement, *empty_);
  if (!p) return std::nullopt;
  r.placement = std::move(*p);
  r.gpus_busy = BusyGpus(r.placement, fleet);
  return r;
}

void ReservationBook::Hold(Reservation r, Fleet& fleet) {
  Book(r.placement, fleet);
  digest_ = Mix(digest_, static_cast<uint64_t>(r.job.value()));
  digest_ = Mix(digest_, static_cast<uint64_t>(r.start.value_or(-1)));
  for (const TaskPlacement& t : r.placement.tasks) digest_ = Mix(digest_, std::hash<std::string>()(t.node));
  held_.push_back(std::move(r));
  lifted_.push_back(0);
}

size_t ReservationBook::LiftFrom(Micros end, Fleet& fleet) {
  size_t n = 0;
  for (size_t i = 0; i < held_.size(); ++i) {
    const Reservation& r = held_[i];
    if (lifted_[i] || !r.start || *r.start < end) continue;
    Unbook(r.placement, fleet);
    lifted_[i] = 1;
    ++n;
  }
  return n;
}

void ReservationBook::Restore(Fleet& fleet) {
  for (size_t i = 0; i < held_.size(); ++i) {
    if (!lifted_[i]) continue;
    Book(held_[i].placement, fleet);
    lifted_[i] = 0;
  }
}

void ReservationBook::Clear(Fleet& fleet) {
  Restore(fleet);
  for (const Reservation& r : held_) Unbook(r.placement, fleet);
  held_.clear();
  lifted_.clear();
  empty_.reset();
}

std::string ReservationBook::Summary() const {
  std::vector<std::string> parts;
  for (const Reservation& r : held_) {
    std::string when = r.start ? "from " + FormatTimestamp(*r.start) : "(no estimate)";
    parts.push_back(r.name + " " + when + " on " + Where(r.placement));
  }
  return Join(parts, "; ");
}

}  // namespace skyrun
