#include "scheduler/fleet.h"

#include <algorithm>
#include <atomic>

#include "common/check.h"

namespace skyrun {

namespace {

void Put(std::string& key, int64_t v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Everything about a node that filters and scores may read, except its name,
// address and what is booked on it.
std::string ShapeKey(const Node& n) {
  std::string key = n.backend;
  key += '\0';
  Put(key, static_cast<int64_t>(n.state));
  Put(key, n.cpus_milli.raw());
  Put(key, n.memory_mib.raw());
  for (const auto& g : n.gpus) {
    key += g.model;
    key += '\0';
    Put(key, g.memory_mb.raw());
  }
  key += '\1';
  for (const auto& row : n.links)
    for (GpuLink l : row) key += static_cast<char>(l);
  key += '\1';
  for (const auto& [k, v] : n.attributes) {
    key += k;
    key += '\0';
    key += v;
    key += '\0';
  }
  Put(key, static_cast<int64_t>(n.price_per_gpu_hour * 1e6));
  Put(key, static_cast<int64_t>(n.price_per_cpu_hour * 1e6));
  key += n.limits_enforced ? 'L' : 'l';
  return key;
}

bool SameNode(const Node& a, const Node& b) {
  if (a.name != b.name || a.backend != b.backend || a.state != b.state || a.cpus_milli != b.cpus_milli ||
      a.memory_mib != b.memory_mib || a.gpus.size() != b.gpus.size() || a.links != b.links ||
      a.attributes != b.attributes || a.price_per_gpu_hour != b.price_per_gpu_hour ||
      a.price_per_cpu_hour != b.price_per_cpu_hour || a.limits_enforced != b.limits_enforced ||
      a.limits_note != b.limits_note || a.address != b.address)
    return false;
  for (size_t i = 0; i < a.gpus.size(); ++i) {
    const GpuDevice &x = a.gpus[i], &y = b.gpus[i];
    if (x.index != y.index || x.model != y.model || x.memory_mb != y.memory_mb) return false;
  }
  return true;
}

// Kept short enough to stay cheap; a reader older than this starts over.
constexpr size_t kMaxJournal = size_t{1} << 20;

}  // namespace

uint64_t Fleet::InstanceId::Next() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void Fleet::Note(int c) {
  if (journal_.size() >= kMaxJournal) {
    journal_base_ += journal_.size();
    journal_.clear();
  }
  journal_.push_back(c);
}

std::optional<std::span<const int>> Fleet::ClassJournalSince(uint64_t position) const {
  if (position < journal_base_ || position > journal_end()) return std::nullopt;
  return std::span<const int>(journal_).subspan(static_cast<size_t>(position - journal_base_));
}

void Fleet::SetNodes(std::vector<Node> nodes) {
  // The same inventory again (backends are read every few seconds): nothing
  // changed for a waiting job, so the generation stays.
  if (nodes.size() == nodes_.size() && std::equal(nodes.begin(), nodes.end(), nodes_.begin(), SameNode))
    return;
  // Park every booking by name, then take back those whose node is still here.
  for (NodeIndex i = 0; i < size(); ++i) orphans_[nodes_[i].name] = std::move(used_[i]);
  nodes_ = std::move(nodes);
  used_.assign(nodes_.size(), NodeUsage{});
  free_.assign(nodes_.size(), Free{});
  idle_gpus_.assign(nodes_.size(), 0);
  index_.clear();
  index_.reserve(nodes_.size());
  shape_of_.assign(nodes_.size(), 0);
  class_of_.assign(nodes_.size(), -1);
  shape_index_.clear();
  shape_example_.clear();
  shape_models_.clear();
  classes_.clear();
  lowest_.clear();
  levels_.clear();
  live_pos_.clear();
  class_index_.clear();
  // Class indices are given out afresh: no earlier position holds.
  journal_base_ = journal_end() + 1;
  journal_.clear();
  for (NodeIndex i = 0; i < size(); ++i) {
    const Node& n = nodes_[i];
    index_[n.name] = i;
    if (auto it = orphans_.find(n.name); it != orphans_.end()) {
      used_[i] = std::move(it->second);
      orphans_.erase(it);
    }
    used_[i].gpu_milli_used.resize(n.gpus.size());
    NoteFree(i);
    int idle = 0;
    for (MilliGpu u : used_[i].gpu_milli_used) idle += u.IsZero();
    idle_gpus_[i] = idle;
    auto [it, added] = shape_index_.emplace(ShapeKey(n), static_cast<int>(shape_index_.size()));
    shape_of_[i] = it->second;
    if (added) {
      shape_example_.push_back(i);
      // Per GPU position: the first position of the same model.
      std::vector<int64_t>& model_of = shape_models_.emplace_back(n.gpus.size(), 0);
      for (size_t p = 0; p < n.gpus.size(); ++p)
        for (size_t q = 0; q <= p; ++q)
          if (n.gpus[q].model == n.gpus[p].model) {
            model_of[p] = static_cast<int64_t>(q);
            break;
          }
    }
    Classify(i);
  }
  ++generation_;
  ++statics_;
}

void Fleet::SetCapabilities(const std::string& backend, const BackendCapabilities& caps) {
  BackendCapabilities c = caps;
  c.gpu_granularity_milli = std::clamp<int64_t>(c.gpu_granularity_milli, 1, kMilliPerUnit);
  caps_[backend] = c;
  ++statics_;
  // What a share books changed without any class changing: whatever was
  // kept per class from the journal is stale.
  journal_base_ = journal_end() + 1;
  journal_.clear();
}

const BackendCapabilities& Fleet::CapabilitiesOf(const std::string& backend) const {
  static const BackendCapabilities kDefault;
  auto it = caps_.find(backend);
  return it == caps_.end() ? kDefault : it->second;
}

const Node* Fleet::FindNode(const std::string& name) const {
  NodeIndex i = IndexOf(name);
  return i == kNoNode ? nullptr : &nodes_[i];
}

NodeIndex Fleet::IndexOf(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? kNoNode : it->second;
}

NodeUsage Fleet::UsageOf(const std::string& name) const {
  NodeIndex i = IndexOf(name);
  if (i != kNoNode) return used_[i];
  auto it = orphans_.find(name);
  return it == orphans_.end() ? NodeUsage{} : it->second;
}

MilliGpu Fleet::Booked(NodeIndex i, MilliGpu per_gpu) const {
  int64_t g = Granularity(i);
  int64_t booked = (per_gpu.raw() + g - 1) / g * g;
  return MilliGpu(std::min(booked, kMilliPerUnit));
}

void Fleet::Reserve(const TaskPlacement& task) {
  Apply(task, +1);
}

void Fleet::Release(const TaskPlacement& task) {
  Apply(task, -1);
  ++generation_;
}

void Fleet::Apply(const TaskPlacement& task, int sign) {
  NodeIndex i = IndexOf(task.node);
  MilliGpu per_gpu =
      task.gpu_indices.empty() ? MilliGpu() : task.gpu_milli / static_cast<int64_t>(task.gpu_indices.size());
  if (i == kNoNode) {
    // The node left the fleet: keep its books by name until it comes back.
    NodeUsage& u = orphans_[task.node];
    u.cpus_milli += sign * task.cpus_milli;
    u.memory_mib += sign * task.memory_mib;
    for (int idx : task.gpu_indices) {
      if (idx < 0) continue;
      if (static_cast<size_t>(idx) >= u.gpu_milli_used.size()) u.gpu_milli_used.resize(idx + 1);
      u.gpu_milli_used[idx] += sign * per_gpu;
    }
    return;
  }
  Unclassify(i);
  const Node& n = nodes_[i];
  NodeUsage& u = used_[i];
  u.cpus_milli += sign * task.cpus_milli;
  u.memory_mib += sign * task.memory_mib;
  MilliGpu booked = per_gpu.IsZero() ? MilliGpu() : Booked(i, per_gpu);
  for (int idx : task.gpu_indices) {
    for (size_t pos = 0; pos < n.gpus.size(); ++pos) {
      if (n.gpus[pos].index != idx) continue;
      MilliGpu& slot = u.gpu_milli_used[pos];
      bool was_idle = slot.IsZero();
      slot += sign * booked;
      idle_gpus_[i] += slot.IsZero() - was_idle;
      // Bookkeeping must never go negative: that would be a double release.
      SKYRUN_CHECK(slot.raw() >= 0);
      break;
    }
  }
  SKYRUN_CHECK(u.cpus_milli.raw() >= 0 && u.memory_mib.raw() >= 0);
  NoteFree(i);
  Classify(i);
}

void Fleet::SetExpectedEnd(JobId job, std::vector<TaskPlacement> tasks, std::optional<Micros> expected_end) {
  holders_[job] = Holder{std::move(tasks), expected_end};
}

bool Fleet::Holds(const TaskPlacement& task) const {
  NodeIndex i = IndexOf(task.node);
  if (i == kNoNode) return false;  // parked with the orphans: nothing here to plan with
  const Node& n = nodes_[i];
  const NodeUsage& u = used_[i];
  if (u.cpus_milli < task.cpus_milli || u.memory_mib < task.memory_mib) return false;
  MilliGpu per_gpu =
      task.gpu_indices.empty() ? MilliGpu() : task.gpu_milli / static_cast<int64_t>(task.gpu_indices.size());
  MilliGpu booked = per_gpu.IsZero() ? MilliGpu() : Booked(i, per_gpu);
  for (int idx : task.gpu_indices) {
    bool found = false;
    for (size_t pos = 0; pos < n.gpus.size() && !found; ++pos) {
      if (n.gpus[pos].index != idx) continue;
      found = true;
      if (u.gpu_milli_used[pos] < booked) return false;
    }
    if (!found) return false;
  }
  return true;
}

Fleet Fleet::EmptyCopy() const {
  Fleet f;
  f.caps_ = caps_;
  f.SetNodes(nodes_);
  return f;
}

NodeIndex Fleet::LowestOf(int c) const {
  NodeIndex& lowest = lowest_[static_cast<size_t>(c)];
  if (lowest == kNoNode)
    for (const auto& [cpu, m] : classes_[static_cast<size_t>(c)].members)
      if (lowest == kNoNode || m < lowest) lowest = m;
  return lowest;
}

void Fleet::Unclassify(NodeIndex i) {
  int c = class_of_[i];
  if (c >= 0) {
    NodeClass& cls = classes_[static_cast<size_t>(c)];
    const int64_t most_cpu = cls.most_free_cpu;
    cls.members.erase({FreeCpu(i).raw(), i});
    cls.most_free_cpu = cls.members.empty() ? 0 : cls.members.rbegin()->first;
    if (lowest_[c] == i) lowest_[c] = kNoNode;
    Level& level = levels_[static_cast<size_t>(cls.idle_gpus)];
    level.nodes.erase({FreeCpu(i).raw(), i});
    if (cls.members.empty())
      Delist(c, most_cpu);
    else if (cls.most_free_cpu != most_cpu)
      Refile(c, most_cpu);
    Note(c);
  }
  class_of_[i] = -1;
}

void Fleet::Enlist(int c) {
  const NodeClass& cls = classes_[static_cast<size_t>(c)];
  Level& level = levels_[static_cast<size_t>(cls.idle_gpus)];
  live_pos_[static_cast<size_t>(c)] = static_cast<int32_t>(level.classes.size());
  level.classes.push_back(c);
  const size_t s = static_cast<size_t>(cls.shape);
  if (level.of_shape.size() <= s) {
    level.of_shape.resize(s + 1);
    level.shape_pos.resize(s + 1, -1);
  }
  FlatSet<std::pair<int64_t, int>>& same = level.of_shape[s];
  if (same.empty()) {
    level.shape_pos[s] = static_cast<int32_t>(level.shapes.size());
    level.shapes.push_back(cls.shape);
  }
  same.insert({cls.most_free_cpu, c});
}

void Fleet::Delist(int c, int64_t most_cpu) {
  const NodeClass& cls = classes_[static_cast<size_t>(c)];
  Level& level = levels_[static_cast<size_t>(cls.idle_gpus)];
  // Out of each list: the last one takes its place.
  auto take_out = [](std::vector<int>& list, int32_t& pos, std::vector<int32_t>& pos_of) {
    int last = list.back();
    list[static_cast<size_t>(pos)] = last;
    pos_of[static_cast<size_t>(last)] = pos;
    list.pop_back();
    pos = -1;
  };
  take_out(level.classes, live_pos_[static_cast<size_t>(c)], live_pos_);
  const size_t s = static_cast<size_t>(cls.shape);
  FlatSet<std::pair<int64_t, int>>& same = level.of_shape[s];
  same.erase({most_cpu, c});
  if (same.empty()) take_out(level.shapes, level.shape_pos[s], level.shape_pos);
}

void Fleet::Refile(int c, int64_t most_cpu) {
  const NodeClass& cls = classes_[static_cast<size_t>(c)];
  FlatSet<std::pair<int64_t, int>>& same =
      levels_[static_cast<size_t>(cls.idle_gpus)].of_shape[static_cast<size_t>(cls.shape)];
  same.erase({most_cpu, c});
  same.insert({cls.most_free_cpu, c});
}

void Fleet::Classify(NodeIndex i) {
  std::string& key = class_key_;
  key.clear();
  Put(key, shape_of_[i]);
  // The multiset of bookings per GPU model: which device of a model holds
  // what does not change a fit, which model does (a node may mix models).
  const std::vector<MilliGpu>& used = used_[i].gpu_milli_used;
  const std::vector<int64_t>& model_of = shape_models_[static_cast<size_t>(shape_of_[i])];
  std::vector<int64_t>& gpu = class_gpus_;
  gpu.resize(used.size());
  int64_t least_used = kMilliPerUnit;
  for (size_t p = 0; p < used.size(); ++p) {
    gpu[p] = model_of[p] * (kMilliPerUnit + 1) + used[p].raw();
    least_used = std::min(least_used, used[p].raw());
  }
  std::sort(gpu.begin(), gpu.end());
  for (int64_t g : gpu) Put(key, g);
  auto it = class_index_.find(key);
  const bool added = it == class_index_.end();
  if (added) it = class_index_.emplace(key, static_cast<int>(classes_.size())).first;
  int c = it->second;
  if (added) {
    NodeClass& cls = classes_.emplace_back();
    cls.shape = shape_of_[i];
    cls.idle_gpus = idle_gpus_[i];
    cls.most_gpu_free = used.empty() ? 0 : kMilliPerUnit - least_used;
    lowest_.push_back(i);
    live_pos_.push_back(-1);
    size_t idle = static_cast<size_t>(idle_gpus_[i]);
    if (levels_.size() <= idle) levels_.resize(idle + 1);
  }
  NodeClass& cls = classes_[static_cast<size_t>(c)];
  Level& level = levels_[static_cast<size_t>(cls.idle_gpus)];
  level.nodes.insert({FreeCpu(i).raw(), i});
  // An empty class's lowest is kNoNode; a stale one stays stale.
  NodeIndex& lowest = lowest_[static_cast<size_t>(c)];
  const bool was_empty = cls.members.empty();
  if (was_empty || (lowest != kNoNode && i < lowest)) lowest = i;
  const int64_t most_cpu = cls.most_free_cpu;
  cls.members.insert({FreeCpu(i).raw(), i});
  cls.most_free_cpu = cls.members.rbegin()->first;
  if (was_empty)
    Enlist(c);
  else if (cls.most_free_cpu != most_cpu)
    Refile(c, most_cpu);
  class_of_[i] = c;
  Note(c);
}

}  // namespace skyrun
