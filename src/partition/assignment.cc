#include "partition/assignment.h"

#include <algorithm>
#include <numeric>

#include "common/check.h"

namespace skyrun::partition {

std::vector<int> Assignment::PositionOfDevice() const {
  std::vector<int> pos(order.size(), -1);
  for (size_t p = 0; p < order.size(); ++p) pos[order[p]] = static_cast<int>(p);
  return pos;
}

std::vector<int> IdentityOrder(int devices) {
  std::vector<int> order(devices);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

bool IsWellFormed(const Instance& instance, const Assignment& a) {
  if (a.positions() != instance.devices() || static_cast<int>(a.cuts.size()) != a.positions() + 1)
    return false;
  if (a.cuts.front() != 0 || a.cuts.back() != instance.units()) return false;
  for (int p = 0; p < a.positions(); ++p)
    if (a.cuts[p] > a.cuts[p + 1]) return false;
  std::vector<int> sorted = a.order;
  std::sort(sorted.begin(), sorted.end());
  return sorted == IdentityOrder(instance.devices());
}

std::string MiBString(Load bytes) {
  return LoadToString(CeilDiv(bytes, static_cast<Load>(1) << 20)) + " MiB";
}

Evaluation Evaluate(const Instance& instance, const Assignment& a, int micro_batches) {
  SKYRUN_CHECK(IsWellFormed(instance, a));
  Evaluation e;
  e.micro_batches = std::max(1, micro_batches);
  e.device_load.assign(instance.devices(), 0);
  e.device_memory.assign(instance.devices(), 0);
  const double b = static_cast<double>(e.micro_batches);
  double micro_sum = 0, micro_max = 0;  // in load units, per micro-batch
  int previous = -1;                    // position of the previous non-empty stage
  for (int p = 0; p < a.positions(); ++p) {
    if (a.empty(p)) continue;
    int dev = a.order[p];
    Load load = instance.StageLoad(dev, a.first(p), a.end(p));
    Load mem = instance.Memory(a.first(p), a.end(p));
    e.device_load[dev] = load;
    e.device_memory[dev] = mem;
    if (mem > instance.memory_cap_bytes(dev) && e.overfull_device < 0) e.overfull_device = dev;
    e.max_load = std::max(e.max_load, load);
    e.sum_load += load;
    double stage_micro = static_cast<double>(load) / b;
    micro_sum += stage_micro;
    micro_max = std::max(micro_max, stage_micro);
    if (previous >= 0 && instance.has_links()) {
      int from = a.order[previous];
      Load link = instance.LinkLoad(from, dev, a.first(p));
      e.max_link = std::max(e.max_link, link);
      e.sum_link += link;
      // Per micro-batch the latency is paid in full, the bytes are 1/B.
      double link_micro = static_cast<double>(instance.LinkFixed(from, dev)) +
                          static_cast<double>(instance.LinkPerByte(from, dev)) *
                              static_cast<double>(instance.out_bytes(a.first(p) - 1)) / b;
      micro_sum += link_micro;
      micro_max = std::max(micro_max, link_micro);
    }
    previous = p;
  }
  e.bottleneck = std::max(e.max_load, e.max_link);
  const int64_t ref = instance.ref_flops_per_second();
  e.pipelined_seconds = LoadToSeconds(e.bottleneck, ref);
  e.sequential_seconds = LoadToSeconds(e.sum_load + e.sum_link, ref);
  e.microbatch_seconds =
      (micro_sum + (b - 1.0) * micro_max) / static_cast<double>(kSlownessScale) / static_cast<double>(ref);
  return e;
}

std::string MemoryViolation(const Instance& instance, const Assignment& a) {
  for (int p = 0; p < a.positions(); ++p) {
    if (a.empty(p)) continue;
    int dev = a.order[p];
    Load mem = instance.Memory(a.first(p), a.end(p));
    if (mem > instance.memory_cap_bytes(dev)) {
      return "device '" + instance.device_name(dev) + "' would hold units " + std::to_string(a.first(p)) +
             ".." + std::to_string(a.end(p) - 1) + " needing " + MiBString(mem) + " but has " +
             std::to_string(instance.memory_mib(dev)) + " MiB";
    }
  }
  return "";
}

}  // namespace skyrun::partition
