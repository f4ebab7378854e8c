#include "scheduler/scheduler.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <unordered_map>

#include "common/check.h"
#include "common/strings.h"
#include "scheduler/explanations.h"

namespace skyrun {

namespace {

// What makes two jobs ask exactly the same of the fleet (no expressions):
// every figure the scheduler reads, each string with its length, in one
// allocation.
std::string Signature(const JobSpec& spec, const std::optional<Micros>& time_limit) {
  if (spec.mode == JobMode::kPsWorker) return "";
  const ResourceRequest& r = spec.resources;
  std::string s;
  s.reserve(128);
  auto put = [&s](int64_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto put_string = [&](const std::string& v) {
    put(static_cast<int64_t>(v.size()));
    s += v;
  };
  put(std::max(1, spec.num_nodes));
  put(spec.tasks_per_node);
  put(r.cpus_milli.raw());
  put(r.memory_mib.raw());
  put(r.gpu_milli.raw());
  put(static_cast<int64_t>(spec.mode));
  if (r.max_hourly_cost) {
    int64_t bits = 0;
    static_assert(sizeof bits == sizeof *r.max_hourly_cost);
    std::memcpy(&bits, &*r.max_hourly_cost, sizeof bits);
    put(1);
    put(bits);
  } else {
    put(0);
  }
  put(static_cast<int64_t>(r.accelerators.size()));
  for (const auto& [m, n] : r.accelerators) {
    put_string(m);
    put(n);
  }
  put(static_cast<int64_t>(r.infra.size()));
  for (const auto& i : r.infra) put_string(i);
  put(time_limit ? 1 : 0);
  if (time_limit) put(*time_limit);
  return s;
}

// Why-not reasons, grouped: "n1, n2: 0 of 2 V100 free; 9,980 nodes (n3, n4, ...): node is DOWN".
// A group shows its first three nodes met and is ordered by its lowest node.
class WhySummary {
 public:
  struct Group;
  // The group of a reason, to add to at once (a group is never empty).
  Group& Of(const std::string& why) { return groups_[why]; }
  void AddClass(const std::string& why, const Fleet& fleet, int c) { AddClass(Of(why), fleet, c); }
  void AddClass(Group& g, const Fleet& fleet, int c) {
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(c)];
    g.count += static_cast<int64_t>(cls.members.size());
    g.first = std::min(g.first, fleet.LowestOf(c));
    for (auto it = cls.members.begin(); it != cls.members.end() && g.shown < kShown; ++it)
      g.names[g.shown++] = it->second;
  }
  void AddOne(const std::string& why, NodeIndex node) {
    Group& g = groups_[why];
    g.count += 1;
    if (g.shown < kShown) g.names[g.shown++] = node;
    g.first = std::min(g.first, node);
  }
  bool empty() const { return groups_.empty(); }

  std::string Text(const Fleet& fleet) const {
    std::vector<std::pair<const std::string*, const Group*>> order;
    for (const auto& [why, g] : groups_) order.push_back({&why, &g});
    // Groups never share a node, so their first nodes differ: the order is total.
    std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(std::min(kShown, order.size())),
                      order.end(),
                      [](const auto& a, const auto& b) { return a.second->first < b.second->first; });
    std::vector<WhyGroupText> shown;
    int64_t more = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const Group& g = *order[k].second;
      if (k >= kShown) {
        more += g.count;
        continue;
      }
      WhyGroupText& t = shown.emplace_back();
      t.count = g.count;
      t.shown.assign(g.names.begin(), g.names.begin() + static_cast<ptrdiff_t>(g.shown));
      std::sort(t.shown.begin(), t.shown.end());
      t.reason = *order[k].first;
    }
    return FormatWhyGroups(fleet, shown, more);
  }

  static constexpr size_t kShown = 3;
  struct Group {
    int64_t count = 0;
    NodeIndex first = std::numeric_limits<NodeIndex>::max();
    std::array<NodeIndex, kShown> names{};  // the first `shown` met
    size_t shown = 0;
  };

 private:
  std::unordered_map<std::string, Group> groups_;
};

// Requests with expressions remembered as having found no room.
constexpr size_t kMaxFailedKeys = 4096;

}  // namespace

Scheduler::Scheduler() {
  auto p = BuildProfile(DefaultProfileSpec());
  SKYRUN_CHECK(p.ok());
  profile_ = std::move(p).value();
}

Result<Scheduler> Scheduler::Create(const ProfileSpec& spec) {
  SKYRUN_ASSIGN_OR_RETURN(Profile p, BuildProfile(spec));
  return Scheduler(std::move(p));
}

template <typename ShapeMayFit, typename MayFit, typename Tightest, typename Eligible>
std::optional<Scheduler::Candidate> Scheduler::BestByLevel(const TaskContext& ctx, Fleet& fleet,
                                                           const ShapeMayFit& shape_may_fit,
                                                           const MayFit& may_fit, const Tightest& tightest,
                                                           const Eligible& eligible, size_t first_filter) {
  // Only when one score decides: the others give every node the same (their
  // normalised value is then a constant), so the weighted total orders nodes
  // as that score's raw value does, ties to the lowest node index. It must
  // be the device picker's plugin too (the same name builds the same kind of
  // plugin), for its bound to hold for the devices picked.
  ScorePlugin* deciding = nullptr;
  for (const auto& [score, weight] : profile_.scores) {
    if (weight == 0 || score->Uniform(ctx)) continue;
    if (deciding) return std::nullopt;
    deciding = score;
  }
  if (!deciding || deciding->Name() != profile_.device_picker->Name()) return std::nullopt;
  const int64_t req_cpu = ctx.task->resources.cpus_milli.raw();  // the classes' key
  const MemoryMiB req_mem = ctx.task->resources.memory_mib;
  const std::vector<Fleet::Level>& levels = fleet.levels();
  level_order_.clear();  // (bound, idle GPUs), most promising first
  for (size_t idle = 0; idle < levels.size(); ++idle) {
    // No node that fits has less free CPU than the task asks.
    std::optional<double> bound = deciding->BoundAtIdle(ctx, static_cast<int>(idle), req_cpu);
    if (!bound) return std::nullopt;
    if (*bound > -std::numeric_limits<double>::infinity() && !levels[idle].classes.empty())
      level_order_.push_back({*bound, static_cast<int>(idle)});
  }
  std::stable_sort(level_order_.begin(), level_order_.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (class_seen_.size() < fleet.classes().size()) class_seen_.resize(fleet.classes().size(), 0);
  if (++seen_mark_ == 0) {  // wrapped: no class may look seen
    std::fill(class_seen_.begin(), class_seen_.end(), 0);
    seen_mark_ = 1;
  }

  Candidate best;
  best.node = kNoNode;
  double best_score = 0;
  // Class ci's tightest node `rep` (on CPU, with the memory, may take a rank).
  auto consider = [&](NodeIndex rep) {
    for (size_t k = first_filter; k < profile_.filters.size(); ++k)
      if (!profile_.filters[k]->Filter(ctx, fleet, rep, nullptr)) return;
    std::optional<DeviceChoice> choice = profile_.device_picker->Pick(*ctx.task, fleet, rep, nullptr);
    if (!choice) return;
    std::optional<double> raw = deciding->Score(ctx, fleet, rep, *choice);
    double s = raw ? *raw : -std::numeric_limits<double>::infinity();
    if (best.node == kNoNode || s > best_score || (s == best_score && rep < best.node)) {
      best.node = rep;
      best.choice = std::move(*choice);
      best_score = s;
    }
  };
  for (const auto& [bound, idle] : level_order_) {
    // No node left can beat (or tie) the best: every later level's bound is lower.
    if (best.node != kNoNode && bound < best_score) break;
    const Fleet::Level& level = levels[static_cast<size_t>(idle)];
    if (level.nodes.size() > kNodesPerClassForClassWalk * level.classes.size()) {
      // Few classes of many nodes each: judge each class on its tightest
      // node, shape by shape (a shape that cannot fit is skipped once), and
      // of a shape only the classes with a node with the CPUs asked.
      for (int s : level.shapes) {
        if (!shape_may_fit(s, idle)) continue;
        const FlatSet<std::pair<int64_t, int>>& same = level.of_shape[static_cast<size_t>(s)];
        for (auto it = same.lower_bound({req_cpu, 0}); it != same.end(); ++it) {
          const int ci = it->second;
          if (!may_fit(ci)) continue;
          bool any_eligible = false;
          NodeIndex rep = tightest(fleet.classes()[static_cast<size_t>(ci)], &any_eligible);
          if (rep != kNoNode) consider(rep);
        }
      }
      continue;
    }
    // The level's nodes from the tightest on CPU that may fit: a class's
    // first node met that may take a rank and has the memory is the one
    // `tightest` would pick, so each class is judged on that node, once;
    // and once the bound for the free CPU met is below the best, no node
    // left in the level can beat it (or tie it: those come later by index).
    for (auto it = level.nodes.lower_bound({req_cpu, 0}); it != level.nodes.end(); ++it) {
      const auto [free_cpu, n] = *it;
      if (best.node != kNoNode) {
        std::optional<double> b = deciding->BoundAtIdle(ctx, idle, free_cpu);
        if (b && *b < best_score) break;
      }
      const int ci = fleet.ClassOf(n);
      uint32_t& seen = class_seen_[static_cast<size_t>(ci)];
      if (seen == seen_mark_) continue;
      if (!may_fit(ci)) {
        seen = seen_mark_;
        continue;
      }
      if (!eligible(n) || fleet.FreeMemory(n) < req_mem) continue;
      seen = seen_mark_;
      consider(n);
    }
  }
  return best;  // node kNoNode: no node has room
}

std::optional<Scheduler::Candidate> Scheduler::BestNode(const TaskContext& ctx, Fleet& fleet,
                                                        const std::vector<char>& shape_ok, std::string* why) {
  bool node_specific = false;
  for (FilterPlugin* f : profile_.filters) node_specific |= f->NodeSpecific(ctx);
  const size_t nscores = profile_.scores.size();
  size_t ncand = 0;
  WhySummary summary;
  std::string reason;
  std::string* reason_out = why ? &reason : nullptr;

  // The filters before the first that reads more than a node's static facts
  // say the same for every node of a shape: asked once per shape, on its
  // example node (0 fails, 1 passes, -1 not asked yet).
  size_t shape_filters = 0;
  while (shape_filters < profile_.filters.size() && profile_.filters[shape_filters]->ShapeOnly(ctx))
    ++shape_filters;
  const size_t nshapes = static_cast<size_t>(fleet.shape_count());
  shape_pass_.assign(nshapes, -1);
  std::vector<std::string> shape_why(why ? nshapes : 0);
  auto shape_passes = [&](int s) {
    int8_t& pass = shape_pass_[static_cast<size_t>(s)];
    if (pass < 0) {
      pass = 1;
      NodeIndex example = fleet.ShapeExample(s);
      std::string* out = why ? &shape_why[static_cast<size_t>(s)] : nullptr;
      for (size_t k = 0; k < shape_filters && pass; ++k)
        pass = profile_.filters[k]->Filter(ctx, fleet, example, out) ? 1 : 0;
    }
    return pass == 1;
  };
  // Cheap checks that let a search skip a class without looking at a node.
  auto may_fit = [&](int ci) {
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(ci)];
    return !cls.members.empty() && shape_ok[static_cast<size_t>(cls.shape)] && shape_passes(cls.shape) &&
           profile_.device_picker->MayFit(ctx, fleet, ci);
  };

  // may_fit's checks that a shape decides, for the classes of a level.
  auto shape_may_fit = [&](int s, int idle) {
    return shape_ok[static_cast<size_t>(s)] && shape_passes(s) &&
           profile_.device_picker->ShapeMayFit(ctx, fleet, s, idle);
  };

  // On a node whose shape passes the shape filters.
  auto evaluate = [&](NodeIndex n) -> bool {
    for (size_t k = shape_filters; k < profile_.filters.size(); ++k) {
      if (!profile_.filters[k]->Filter(ctx, fleet, n, reason_out)) return false;
    }
    std::optional<DeviceChoice> choice = profile_.device_picker->Pick(*ctx.task, fleet, n, reason_out);
    if (!choice) return false;
    if (ncand == candidates_.size()) candidates_.emplace_back();
    Candidate& c = candidates_[ncand++];
    c.node = n;
    c.choice = std::move(*choice);
    c.raw.resize(nscores);
    for (size_t k = 0; k < nscores; ++k) c.raw[k] = profile_.scores[k].first->Score(ctx, fleet, n, c.choice);
    return true;
  };
  auto eligible = [&](NodeIndex m) { return max_per_node_ == 0 || ranks_on_[m] < max_per_node_; };
  const int64_t req_cpu = ctx.task->resources.cpus_milli.raw();  // the classes' key
  const MemoryMiB req_mem = ctx.task->resources.memory_mib;
  // The tightest node of a class on CPU that fits the task's CPUs and memory
  // and may take another rank (the class shares everything else).
  auto tightest = [&](const Fleet::NodeClass& cls, bool* any_eligible) {
    for (auto it = cls.members.lower_bound({req_cpu, 0}); it != cls.members.end(); ++it) {
      if (!eligible(it->second)) continue;
      *any_eligible = true;
      if (fleet.FreeMemory(it->second) >= req_mem) return it->second;
    }
    return kNoNode;
  };
  const std::string kHoldsARank = "holds a rank of this job already";
  // Explaining: the picker's why-nots by key, each written once (only when
  // every filter is asked per shape, so the picker has the last word).
  std::unordered_map<ReasonKey, WhySummary::Group*, ReasonKeyHash> by_key;
  const bool explain_by_key = why && shape_filters == profile_.filters.size();

  if (!node_specific && !why) {
    if (std::optional<Candidate> c =
            BestByLevel(ctx, fleet, shape_may_fit, may_fit, tightest, eligible, shape_filters)) {
      if (c->node == kNoNode) return std::nullopt;
      return c;
    }
  }

  const std::vector<Fleet::NodeClass>& classes = fleet.classes();
  // Explaining walks every class in index order (a why-not group shows the
  // first nodes met); a search only the classes with nodes, in any order
  // (the best is chosen by score, then by the lowest node).
  visit_.clear();
  if (why) {
    for (int ci = 0; ci < static_cast<int>(classes.size()); ++ci) visit_.push_back(ci);
  } else {
    for (const Fleet::Level& level : fleet.levels())
      visit_.insert(visit_.end(), level.classes.begin(), level.classes.end());
  }
  for (int ci : visit_) {
    const Fleet::NodeClass& cls = classes[static_cast<size_t>(ci)];
    if (!why) {
      if (!may_fit(ci)) continue;
    } else {
      if (cls.members.empty() || !shape_ok[static_cast<size_t>(cls.shape)]) continue;
      if (!shape_passes(cls.shape)) {
        // Every node the job may still use says the shape's reason.
        const std::string& shape_reason = shape_why[static_cast<size_t>(cls.shape)];
        if (node_specific) {
          for (const auto& [cpu, m] : cls.members)
            summary.AddOne(eligible(m) ? shape_reason : kHoldsARank, m);
          continue;
        }
        bool any = false;
        for (auto it = cls.members.begin(); it != cls.members.end() && !any; ++it) any = eligible(it->second);
        summary.AddClass(any ? shape_reason : kHoldsARank, fleet, ci);
        continue;
      }
    }
    if (!node_specific) {
      bool any_eligible = false;
      NodeIndex rep = tightest(cls, &any_eligible);
      if (rep == kNoNode) {
        if (!why) continue;
        // Say why with the roomiest node that may take a rank.
        for (auto it = cls.members.rbegin(); it != cls.members.rend() && rep == kNoNode; ++it)
          if (eligible(it->second)) rep = it->second;
        if (rep == kNoNode && !any_eligible) {
          summary.AddClass(kHoldsARank, fleet, ci);
          continue;
        }
      }
      if (explain_by_key) {
        if (std::optional<ReasonKey> key = profile_.device_picker->WhyNot(ctx, fleet, rep)) {
          auto [it, added] = by_key.try_emplace(*key, nullptr);
          if (!added) {
            summary.AddClass(*it->second, fleet, ci);
            continue;
          }
          // The first node with this key: Pick writes the reason.
          if (evaluate(rep)) {
            by_key.erase(it);  // it fits after all: a candidate, not a reason
            continue;
          }
          it->second = &summary.Of(reason);
          summary.AddClass(*it->second, fleet, ci);
          continue;
        }
      }
      if (!evaluate(rep) && why) summary.AddClass(reason, fleet, ci);
      continue;
    }
    for (const auto& [cpu, m] : cls.members) {
      if (!eligible(m)) {
        if (why) summary.AddOne(kHoldsARank, m);
      } else if (!evaluate(m) && why) {
        summary.AddOne(reason, m);
      }
    }
  }
  if (ncand == 0) {
    if (why) *why = summary.empty() ? "no node is allowed by resources.infra" : summary.Text(fleet);
    return std::nullopt;
  }
  // Normalise each score over the candidates to 0..100 (1..100 when some
  // candidates have no score from it: those get 0), then weigh and add.
  std::vector<double> total(ncand, 0.0);
  for (size_t k = 0; k < nscores; ++k) {
    double lo = 0, hi = 0;
    bool any = false, undefined = false;
    for (size_t c = 0; c < ncand; ++c) {
      const auto& v = candidates_[c].raw[k];
      if (!v) {
        undefined = true;
        continue;
      }
      lo = any ? std::min(lo, *v) : *v;
      hi = any ? std::max(hi, *v) : *v;
      any = true;
    }
    double floor = undefined ? 1 : 0;
    double weight = profile_.scores[k].second;
    for (size_t c = 0; c < ncand; ++c) {
      const auto& v = candidates_[c].raw[k];
      if (!v) continue;
      double norm = hi > lo ? floor + (*v - lo) / (hi - lo) * (100 - floor) : 100;
      total[c] += weight * norm;
    }
  }
  size_t best = 0;
  for (size_t c = 1; c < ncand; ++c) {
    if (total[c] > total[best] || (total[c] == total[best] && candidates_[c].node < candidates_[best].node))
      best = c;
  }
  return candidates_[best];
}

std::string Scheduler::ExplanationKey(const PendingJob& job, const std::vector<TaskRequest>& tasks) const {
  // The built-in filters read only static facts here (expressions that read
  // no node's identity; the cap below is part of the key), and their reasons
  // never read like the picker's.
  if (tasks.size() != 1 || (job.matcher && job.matcher->NodeSpecific())) return "";
  for (FilterPlugin* f : profile_.filters)
    if (f->Name() != "node-state" && f->Name() != "expression" && f->Name() != "max-hourly-cost") return "";
  const ResourceRequest& r = tasks.front().resources;
  std::string key;
  auto put = [&key](int64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); };
  put(r.cpus_milli.raw());
  put(r.memory_mib.raw());
  put(r.gpu_milli.raw());
  put((r.cpus_exact ? 1 : 0) | (r.memory_exact ? 2 : 0) | (r.use_spot ? 4 : 0));
  put(r.max_hourly_cost ? static_cast<int64_t>(*r.max_hourly_cost * 1e6) : -1);
  put(MaxRanksPerNode(*job.spec));
  for (const auto& [model, count] : r.accelerators) {
    key += model;
    key += '\0';
    put(count);
  }
  key += '\1';
  for (const std::string& i : r.infra) {
    key += i;
    key += '\0';
  }
  key += '\1';
  key += tasks.front().role;
  key += job.matcher ? 'm' : '-';
  return key;
}

std::string Scheduler::ShapeVerdicts(const TaskContext& ctx, const Fleet& fleet,
                                     const std::vector<char>& shape_ok) {
  std::string out;
  for (int s = 0; s < fleet.shape_count(); ++s) {
    if (!shape_ok[static_cast<size_t>(s)]) continue;
    std::string why;
    bool pass = true;
    for (size_t k = 0; k < profile_.filters.size() && pass; ++k)
      pass = profile_.filters[k]->Filter(ctx, fleet, fleet.ShapeExample(s), &why);
    out += pass ? '+' : '-';
    if (!pass) out += why;
    out += '\0';
  }
  return out;
}

std::optional<std::string> Scheduler::Explain(const TaskContext& ctx, Fleet& fleet,
                                              const std::vector<char>& shape_ok, const std::string& key) {
  const size_t nshapes = static_cast<size_t>(fleet.shape_count());
  std::vector<int8_t> pass(nshapes, -1);
  std::vector<std::string> shape_why(nshapes);
  auto shape_passes = [&](int s) {
    int8_t& p = pass[static_cast<size_t>(s)];
    if (p < 0) {
      p = 1;
      NodeIndex example = fleet.ShapeExample(s);
      for (size_t k = 0; k < profile_.filters.size() && p; ++k)
        p = profile_.filters[k]->Filter(ctx, fleet, example, &shape_why[static_cast<size_t>(s)]) ? 1 : 0;
    }
    return p == 1;
  };
  const int64_t req_cpu = ctx.task->resources.cpus_milli.raw();  // the classes' key
  const MemoryMiB req_mem = ctx.task->resources.memory_mib;
  // As the search: the tightest node on CPU with room for the CPUs and
  // memory, else the roomiest (every node may take the job's one rank).
  auto rep_of = [&](int ci) {
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(ci)];
    for (auto it = cls.members.lower_bound({req_cpu, 0}); it != cls.members.end(); ++it)
      if (fleet.FreeMemory(it->second) >= req_mem) return it->second;
    return cls.members.rbegin()->second;
  };
  DevicePicker* picker = profile_.device_picker;
  auto judge = [&](int ci) {
    using Kind = Explanations::Verdict::Kind;
    Explanations::Verdict v;
    const Fleet::NodeClass& cls = fleet.classes()[static_cast<size_t>(ci)];
    if (cls.members.empty() || !shape_ok[static_cast<size_t>(cls.shape)]) return v;
    if (!shape_passes(cls.shape)) {
      v.kind = Kind::kShapeText;
      v.shape = cls.shape;
      return v;
    }
    NodeIndex rep = rep_of(ci);
    std::optional<ReasonKey> k = picker->WhyNot(ctx, fleet, rep);
    if (k) {
      // A key names one text (written once per key, by `text_of` below).
      v.kind = picker->KeyNamesReason(*k) ? Kind::kKey : Kind::kKeyedText;
      v.key = *k;
      return v;
    }
    std::string why;
    if (picker->Pick(*ctx.task, fleet, rep, &why)) {
      v.kind = Kind::kFits;
      return v;
    }
    v.kind = Kind::kText;
    v.text = std::move(why);
    return v;
  };
  // The text of a shape's reason, or of a key's, read on class ci.
  auto text_of = [&](int ci, const Explanations::Verdict& v) -> std::optional<std::string> {
    if (v.kind == Explanations::Verdict::Kind::kShapeText) return shape_why[static_cast<size_t>(v.shape)];
    std::string why;
    if (picker->Pick(*ctx.task, fleet, rep_of(ci), &why)) return std::nullopt;
    return why;
  };
  Explanations::Entry& e = explanations_.Update(key, fleet, judge, text_of);
  if (Explanations::AnyFits(e)) return std::nullopt;
  std::string text = explanations_.Text(e, fleet, [&](int ci) {
    std::string why;
    if (picker->Pick(*ctx.task, fleet, rep_of(ci), &why)) why.clear();  // a key's node never fits
    return why;
  });
  if (text.empty()) return "no node is allowed by resources.infra";
  return text;
}

PlaceOutcome Scheduler::PlanOn(const PendingJob& job, const std::vector<TaskRequest>& tasks, Fleet& fleet,
                               const std::vector<char>& shape_ok, uint64_t plan) {
  PlaceOutcome out;
  if (ranks_on_.size() < static_cast<size_t>(fleet.size()))
    ranks_on_.resize(static_cast<size_t>(fleet.size()), 0);
  max_per_node_ = MaxRanksPerNode(*job.spec);
  Placement placement;
  std::vector<NodeIndex> touched;
  auto undo = [&] {
    for (const auto& t : placement.tasks) fleet.Unreserve(t);
    for (NodeIndex n : touched) ranks_on_[n] = 0;
  };
  // A one-task job like one that found no room before: its explanation,
  // brought up to date, says whether any class may take it now. With
  // expressions, jobs share one when every node shape says the same to them
  // (the verdicts complete the entry's key), read only for requests that
  // found no room before.
  std::string key = ExplanationKey(job, tasks);
  if (!key.empty()) key.append(shape_ok.begin(), shape_ok.end());
  for (const TaskRequest& task : tasks) {
    TaskContext ctx{&job, &task, plan};
    std::string entry;  // the entry's key, once worked out
    auto entry_key = [&]() -> const std::string& {
      if (entry.empty()) entry = job.matcher ? key + ShapeVerdicts(ctx, fleet, shape_ok) : key;
      return entry;
    };
    const bool failed_before = !key.empty() && (job.matcher ? failed_with_expressions_.count(key) > 0
                                                            : explanations_.Has(key, fleet));
    std::optional<std::string> known;
    std::optional<Candidate> best;
    bool searched = false;
    if (failed_before && explanations_.Has(entry_key(), fleet)) {
      // Some class could take it when it was last explained: most likely
      // one still can, so search first and explain only when none does (the
      // explanation's verdict decides nothing else).
      if (explanations_.FitLastTime(entry, fleet)) {
        best = BestNode(ctx, fleet, shape_ok, nullptr);
        searched = true;
      }
      if (!best) known = Explain(ctx, fleet, shape_ok, entry);
    }
    if (!known && !searched) best = BestNode(ctx, fleet, shape_ok, nullptr);
    if (!best) {
      if (!known && !key.empty()) {
        if (job.matcher) {
          if (failed_with_expressions_.size() >= kMaxFailedKeys) failed_with_expressions_.clear();
          failed_with_expressions_.insert(key);
        }
        known = Explain(ctx, fleet, shape_ok, entry_key());
      }
      std::string why;
      if (known)
        why = std::move(*known);
      else
        (void)BestNode(ctx, fleet, shape_ok, &why);  // again, explaining each class this time
      undo();
      out.reason = "no node has room for rank " + std::to_string(task.rank) + " (needs " +
                   DescribeRequest(task.resources) + "): " + why;
      return out;
    }
    const Node& node = fleet.node(best->node);
    TaskPlacement tp;
    tp.rank = task.rank;
    tp.role = task.role;
    tp.node = node.name;
    tp.node_address = node.address;
    tp.cpus_milli = task.resources.cpus_milli;
    tp.memory_mib = task.resources.memory_mib;
    for (int pos : best->choice.positions)
      tp.gpu_indices.push_back(node.gpus[static_cast<size_t>(pos)].index);
    tp.gpu_milli = MilliGpu(best->choice.per_gpu * static_cast<int64_t>(best->choice.positions.size()));
    tp.gpu_model = best->choice.model;
    fleet.Reserve(tp);
    if (ranks_on_[best->node]++ == 0) touched.push_back(best->node);
    placement.backend = node.backend;
    placement.hourly_price += HourlyPrice(node, tp);
    placement.tasks.push_back(std::move(tp));
  }
  for (PermitPlugin* p : profile_.permits) {
    std::string no = p->Permit(job, placement, fleet);
    if (!no.empty()) {
      undo();
      out.reason = no;
      return out;
    }
  }
  for (NodeIndex n : touched) ranks_on_[n] = 0;
  out.placement = std::move(placement);
  return out;
}

const Scheduler::ShapeBackends& Scheduler::BackendsOf(const Fleet& fleet) {
  ShapeBackends& of = shape_backends_;
  if (of.fleet == fleet.instance_id() && of.statics == fleet.statics()) return of;
  of.fleet = fleet.instance_id();
  of.statics = fleet.statics();
  of.names.clear();
  of.of_shape.assign(static_cast<size_t>(fleet.shape_count()), 0);
  for (int s = 0; s < fleet.shape_count(); ++s) {
    const std::string& b = fleet.node(fleet.ShapeExample(s)).backend;
    auto it = std::find(of.names.begin(), of.names.end(), b);
    of.of_shape[static_cast<size_t>(s)] = static_cast<int>(it - of.names.begin());
    if (it == of.names.end()) of.names.push_back(b);
  }
  return of;
}

PlaceOutcome Scheduler::Place(const PendingJob& job, Fleet& fleet) {
  std::vector<TaskRequest> tasks = ExpandTasks(*job.spec);
  for (PreFilterPlugin* p : profile_.pre_filters) {
    std::string no = p->PreFilter(job, tasks, fleet);
    if (!no.empty()) return {std::nullopt, no};
  }
  // Candidate backends, in the fleet's order, and which node shapes they allow.
  // (resources.infra is asked once per backend, not once per shape.)
  const ShapeBackends& of = BackendsOf(fleet);
  std::vector<char> allowed(of.names.size(), 0);
  std::vector<std::string> backends;
  for (size_t b = 0; b < of.names.size(); ++b) {
    if (!InfraAllows(job.spec->resources.infra, of.names[b])) continue;
    allowed[b] = 1;
    backends.push_back(of.names[b]);
  }
  std::vector<char> shape_ok(static_cast<size_t>(fleet.shape_count()), 0);
  for (size_t s = 0; s < shape_ok.size(); ++s) shape_ok[s] = allowed[static_cast<size_t>(of.of_shape[s])];
  if (backends.empty()) return {std::nullopt, "no node is allowed by resources.infra"};
  uint64_t plan = next_plan_++;
  if (tasks.size() == 1 || backends.size() == 1) return PlanOn(job, tasks, fleet, shape_ok, plan);

  // A gang runs on one backend: plan each, the backend of the best node for
  // its first rank first; the first whole plan wins.
  if (ranks_on_.size() < static_cast<size_t>(fleet.size()))
    ranks_on_.resize(static_cast<size_t>(fleet.size()), 0);
  max_per_node_ = MaxRanksPerNode(*job.spec);
  TaskContext first{&job, &tasks.front(), plan};
  if (auto best = BestNode(first, fleet, shape_ok, nullptr)) {
    const std::string& b = fleet.node(best->node).backend;
    std::stable_partition(backends.begin(), backends.end(), [&](const std::string& x) { return x == b; });
  }
  std::vector<std::string> reasons;
  for (const std::string& b : backends) {
    std::vector<char> only(shape_ok.size(), 0);
    for (int s = 0; s < fleet.shape_count(); ++s)
      only[static_cast<size_t>(s)] =
          shape_ok[static_cast<size_t>(s)] && fleet.node(fleet.ShapeExample(s)).backend == b;
    PlaceOutcome o = PlanOn(job, tasks, fleet, only, plan);
    if (o.placement) return o;
    reasons.push_back(b + ": " + o.reason);
  }
  return {std::nullopt, Join(reasons, " | ")};
}

PlaceOutcome Scheduler::PlaceNow(const PendingJob& job, Fleet& fleet, ReservationBook& book, Micros now) {
  PlaceOutcome o = Place(job, fleet);
  if (o.placement || book.empty()) return o;
  // Backfill onto held capacity only what ends before those reservations start.
  if (job.time_limit && book.LiftFrom(now + *job.time_limit, fleet) > 0) {
    PlaceOutcome b = Place(job, fleet);
    book.Restore(fleet);
    if (b.placement) return b;
  }
  o.reason += "; held for jobs ahead of it: " + book.Summary();
  return o;
}

std::vector<Decision> Scheduler::Schedule(std::vector<PendingJob> queue, Fleet& fleet, Micros now) {
  stats_ = {};
  QueueSortPlugin* sort = profile_.queue_sort;
  std::stable_sort(queue.begin(), queue.end(),
                   [sort](const PendingJob& a, const PendingJob& b) { return sort->Less(a, b); });
  std::vector<Decision> out;
  out.reserve(queue.size());
  std::unordered_map<JobId, Waiting> waiting;
  waiting.reserve(waiting_.size());
  // Per signature, this cycle: why a job asking that did not fit, and
  // whether it got a reservation.
  struct Failed {
    std::shared_ptr<const std::string> reason;
    bool reserved = false;
  };
  std::unordered_map<std::string, Failed> failed;
  const size_t max_reserved = static_cast<size_t>(profile_.reservations);
  ReservationBook book;
  for (const PendingJob& job : queue) {
    Decision d;
    d.job = job.id;
    auto it = waiting_.find(job.id);
    if (it != waiting_.end() && it->second.generation == fleet.generation() &&
        it->second.ahead == book.digest()) {
      // Nothing it depends on changed: it waits as it did, holding what it held.
      d.reason = *it->second.reason;
      d.evaluated = false;
      if (it->second.reservation) book.Hold(*it->second.reservation, fleet);
      waiting[job.id] = it->second;
      ++stats_.unchanged;
      out.push_back(std::move(d));
      continue;
    }
    const uint64_t ahead = book.digest();
    const std::string sig = job.matcher ? "" : Signature(*job.spec, job.time_limit);
    // An identical job did not fit: this one does not either. It is planned
    // only for a reservation of its own: while one is left to give and the
    // other got one (had the other none, with as much held or more since,
    // this one gets none either).
    if (!sig.empty()) {
      auto f = failed.find(sig);
      if (f != failed.end() && (book.size() >= max_reserved || !f->second.reserved)) {
        d.reason = *f->second.reason;
        waiting[job.id] = {fleet.generation(), ahead, f->second.reason, std::nullopt};
        ++stats_.equivalent;
        out.push_back(std::move(d));
        continue;
      }
    }
    ++stats_.planned;
    PlaceOutcome o = PlaceNow(job, fleet, book, now);
    if (o.placement) {
      d.kind = Decision::Kind::kPlace;
      d.placement = std::move(*o.placement);
      for (ReservePlugin* r : profile_.reserves) r->Reserve(job, d.placement);
      std::optional<Micros> end;
      if (job.time_limit) end = now + *job.time_limit;
      fleet.SetExpectedEnd(job.id, d.placement.tasks, end);
    } else {
      // One copy of the reason, shared by the jobs that wait like this one.
      auto reason_now = std::make_shared<const std::string>(std::move(o.reason));
      Waiting w{fleet.generation(), ahead, reason_now, std::nullopt};
      if (book.size() < max_reserved) {
        auto try_place = [&](Fleet& f) { return Place(job, f).placement; };
        if (std::optional<Reservation> r = book.Plan(job.id, job.spec->name, fleet, now, try_place)) {
          w.reason = std::make_shared<const std::string>(DescribeReservation(*r) + "; now: " + *reason_now);
          w.reservation = *r;
          book.Hold(std::move(*r), fleet);
        }
      }
      if (!sig.empty()) failed[sig] = {reason_now, w.reservation.has_value()};
      d.reason = *w.reason;
      waiting[job.id] = std::move(w);
      for (PostFilterPlugin* p : profile_.post_filters) p->PostFilter(job, fleet, &d.victims);
    }
    out.push_back(std::move(d));
  }
  book.Clear(fleet);
  waiting_ = std::move(waiting);
  return out;
}

Status Scheduler::CheckFeasible(const JobSpec& job_spec, const std::vector<Node>& nodes, JobMatcher* matcher,
                                const std::unordered_map<std::string, BackendCapabilities>& caps) {
  // Prices are not weighed here: a job capped below every node now is
  // admitted and waits, saying why (prices and nodes change).
  JobSpec spec = job_spec;
  spec.resources.max_hourly_cost.reset();
  for (Role& role : spec.roles) role.resources.max_hourly_cost.reset();
  std::vector<Node> copy = nodes;
  for (Node& n : copy)
    if (n.state == NodeState::kDown) n.state = NodeState::kUp;  // down now, may come back
  Fleet empty;
  for (const auto& [backend, c] : caps) empty.SetCapabilities(backend, c);
  empty.SetNodes(std::move(copy));
  PendingJob job;
  job.spec = &spec;
  job.matcher = matcher;
  std::vector<TaskRequest> tasks = ExpandTasks(spec);
  std::vector<std::string> backends;
  for (int s = 0; s < empty.shape_count(); ++s) {
    const std::string& b = empty.node(empty.ShapeExample(s)).backend;
    if (InfraAllows(spec.resources.infra, b) &&
        std::find(backends.begin(), backends.end(), b) == backends.end())
      backends.push_back(b);
  }
  std::sort(backends.begin(), backends.end());
  if (backends.empty()) {
    // Admission has already checked that infra allows a configured backend:
    // here none of those offers a node (its inventory is empty or unread).
    return InvalidArgument("no backend allowed by resources.infra (" + Join(spec.resources.infra, ", ") +
                           ") offers any node now");
  }
  std::vector<std::string> reasons;
  for (const std::string& b : backends) {
    std::string no;
    for (PreFilterPlugin* p : profile_.pre_filters) {
      JobSpec narrowed = spec;
      narrowed.resources.infra = {b};
      PendingJob one = job;
      one.spec = &narrowed;
      no = p->PreFilter(one, tasks, empty);
      if (!no.empty()) break;
    }
    if (no.empty()) {
      std::vector<char> only(static_cast<size_t>(empty.shape_count()), 0);
      for (int s = 0; s < empty.shape_count(); ++s)
        only[static_cast<size_t>(s)] = empty.node(empty.ShapeExample(s)).backend == b;
      PlaceOutcome o = PlanOn(job, tasks, empty, only, next_plan_++);
      if (o.placement) return Status::Ok();
      no = o.reason;
    }
    reasons.push_back(b + ": " + no);
  }
  return ResourceExhausted("the job can never fit: " + Join(reasons, " | "));
}

}  // namespace skyrun
